"""emergencies as CAP 1.2 (issue 16): disaster risk level, alert status and instruction per notice
version; CAP alerts received from feeds (the original kept)

Revision ID: 0016_cap
Revises: 0004
Create Date: 2026-12-02 20:45:00
"""
from alembic import op
import sqlalchemy as sa
import loa.store.schema


revision = '0016_cap'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notice_versions') as batch:
        batch.add_column(sa.Column('disaster_level', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('alert_status', sa.String(length=16), nullable=False, server_default='actual'))
        batch.add_column(sa.Column('instruction', sa.Text(), nullable=True))
    op.create_table('cap_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=500), nullable=False),
    sa.Column('identifier', sa.String(length=500), nullable=False),
    sa.Column('sent', sa.String(length=40), nullable=False),
    sa.Column('msg_type', sa.String(length=16), nullable=False),
    sa.Column('feed_url', sa.String(length=2000), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('notice_version', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('received_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender', 'identifier', 'sent')
    )
    op.create_index('ix_cap_alerts_notice', 'cap_alerts', ['notice_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cap_alerts_notice', table_name='cap_alerts')
    op.drop_table('cap_alerts')
    with op.batch_alter_table('notice_versions') as batch:
        batch.drop_column('instruction')
        batch.drop_column('alert_status')
        batch.drop_column('disaster_level')
