"""loudspeakers: speaker accounts, their status history and acks; each built slot's programme

Revision ID: 0022_speakers
Revises: 0022_claims
Create Date: 2026-12-03 03:00:00
"""
from alembic import op
import sqlalchemy as sa

from loa.store.schema import UTCDateTime


revision = '0022_speakers'
down_revision = '0022_claims'  # after the delivery claims (both were written on 0021_fulltext)
branch_labels = None
depends_on = '0004'  # radio_slots gains its programme column


def upgrade() -> None:
    with op.batch_alter_table('radio_slots') as batch:
        batch.add_column(sa.Column('programme', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table(
        'speakers',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('station', sa.String(64), nullable=False),
        sa.Column('name', sa.String(200), nullable=True),
        sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('state_since', UTCDateTime(), nullable=True),
        sa.Column('last_seen_at', UTCDateTime(), nullable=True),
        sa.Column('clock_skew_ms', sa.Integer(), nullable=True),
        sa.Column('cache_items', sa.Integer(), nullable=True),
        sa.Column('cache_bytes', sa.Integer(), nullable=True),
        sa.Column('software', sa.String(200), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
    )
    op.create_table(
        'speaker_status',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('speaker_id', sa.String(64), sa.ForeignKey('speakers.id'), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
    )
    op.create_index('ix_speaker_status_speaker_at', 'speaker_status', ['speaker_id', 'at'])
    op.create_table(
        'speaker_acks',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('speaker_id', sa.String(64), sa.ForeignKey('speakers.id'), nullable=False),
        sa.Column('station', sa.String(64), nullable=False),
        sa.Column('slot', sa.String(100), nullable=False),
        sa.Column('item', sa.String(200), nullable=False),
        sa.Column('kind', sa.String(16), nullable=True),
        sa.Column('notice_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('event', sa.String(16), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('command', sa.String(200), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('speaker_id', 'slot', 'item', 'event', 'command'),
    )
    op.create_index('ix_speaker_acks_notice', 'speaker_acks', ['notice_id', 'version'])
    op.create_index('ix_speaker_acks_station_at', 'speaker_acks', ['station', 'at'])


def downgrade() -> None:
    op.drop_table('speaker_acks')
    op.drop_table('speaker_status')
    op.drop_table('speakers')
    with op.batch_alter_table('radio_slots') as batch:
        batch.drop_column('programme')
