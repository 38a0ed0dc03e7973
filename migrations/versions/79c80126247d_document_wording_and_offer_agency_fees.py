"""document wording and offer agency fees

Revision ID: 79c80126247d
Revises: e2020db28ba7
Create Date: 2026-12-03 17:20:30.179160

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "79c80126247d"
down_revision = "e2020db28ba7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_wording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=40), nullable=False),
        sa.Column("passage", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_document_wording_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_wording")),
        sa.UniqueConstraint("document", "passage", name=op.f("uq_document_wording_document")),
    )
    with op.batch_alter_table("landlord_offer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("agency_fees", sa.Numeric(precision=10, scale=2), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("landlord_offer", schema=None) as batch_op:
        batch_op.drop_column("agency_fees")
    op.drop_table("document_wording")
