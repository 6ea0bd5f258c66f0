"""editorial desk: users, sessions, login attempts, action details (edit diffs), search text

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import loa.store.schema


revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.Column('password_changed_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('desk_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.Column('expires_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.Column('ended_at', loa.store.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index('ix_desk_sessions_user_id', 'desk_sessions', ['user_id'], unique=False)
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('remote', sa.String(length=100), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_attempts_at', 'login_attempts', ['at'], unique=False)
    op.create_table('action_details',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('diff', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], ),
    sa.PrimaryKeyConstraint('action_id')
    )
    op.create_table('desk_search',
    sa.Column('notice_version_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['notice_version_id'], ['notice_versions.id'], ),
    sa.PrimaryKeyConstraint('notice_version_id')
    )


def downgrade() -> None:
    op.drop_table('desk_search')
    op.drop_table('action_details')
    op.drop_index('ix_login_attempts_at', table_name='login_attempts')
    op.drop_table('login_attempts')
    op.drop_index('ix_desk_sessions_user_id', table_name='desk_sessions')
    op.drop_table('desk_sessions')
    op.drop_table('users')
