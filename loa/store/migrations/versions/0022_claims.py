"""claims before send (issue 17): each delivery row's claim (holder, lease) and the moment an
irrevocable send started; one dispatch lease per notice

Revision ID: 0022_claims
Revises: 0021_fulltext
Create Date: 2026-12-03 02:50:00
"""
from alembic import op
import sqlalchemy as sa
import loa.store.schema


revision = '0022_claims'
down_revision = '0021_fulltext'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('claim_until', loa.store.schema.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('sent_at', loa.store.schema.UTCDateTime(), nullable=True))
    op.create_table(
        'dispatch_leases',
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('until', loa.store.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('notice_id'),
    )


def downgrade() -> None:
    op.drop_table('dispatch_leases')
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('sent_at')
        batch.drop_column('claim_until')
        batch.drop_column('claimed_by')
