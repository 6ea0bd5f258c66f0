"""commune radio: built playlists (slots), airing history, audio files

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import loa.store.schema


revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('radio_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('slot_date', sa.String(length=10), nullable=False),
    sa.Column('slot_time', sa.String(length=5), nullable=False),
    sa.Column('starts_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.Column('max_seconds', sa.Float(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('overflow', sa.JSON(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('built_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('station', 'kind', 'starts_at')
    )
    op.create_index('ix_radio_slots_station_starts', 'radio_slots', ['station', 'starts_at'], unique=False)
    op.create_table('radio_airings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('station', sa.String(length=64), nullable=False),
    sa.Column('starts_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['slot_id'], ['radio_slots.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_radio_airings_station_notice', 'radio_airings', ['station', 'notice_id', 'version'], unique=False)
    op.create_index('ix_radio_airings_slot', 'radio_airings', ['slot_id'], unique=False)
    op.create_table('radio_audio',
    sa.Column('file', sa.String(length=300), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_key', sa.String(length=64), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('loudness_lufs', sa.Float(), nullable=True),
    sa.Column('made_at', loa.store.schema.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('file')
    )
    op.create_index('ix_radio_audio_notice', 'radio_audio', ['notice_id', 'version'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_radio_audio_notice', table_name='radio_audio')
    op.drop_table('radio_audio')
    op.drop_index('ix_radio_airings_slot', table_name='radio_airings')
    op.drop_index('ix_radio_airings_station_notice', table_name='radio_airings')
    op.drop_table('radio_airings')
    op.drop_index('ix_radio_slots_station_starts', table_name='radio_slots')
    op.drop_table('radio_slots')
