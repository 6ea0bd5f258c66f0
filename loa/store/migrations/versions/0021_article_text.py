"""document versions: the linked article's full text, what its fetch recorded, warnings for the editor

Revision ID: 0021_fulltext
Revises: 0001
Create Date: 2026-12-02 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_fulltext'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_versions') as batch:
        batch.add_column(sa.Column('body_html', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('article', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('warnings', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('document_versions') as batch:
        batch.drop_column('warnings')
        batch.drop_column('article')
        batch.drop_column('body_html')
