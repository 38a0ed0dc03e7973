"""report funding lines, analysis, stored reports

Revision ID: 1203023aa89a
Revises: a7f3c91d2e54
Create Date: 2026-12-03 17:32:44.696865

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1203023aa89a"
down_revision = "a7f3c91d2e54"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_funding_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=160), nullable=False),
        sa.Column("amount", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_report_funding_line_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_report_funding_line_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_report_funding_line_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_funding_line")),
    )
    with op.batch_alter_table("report_funding_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_funding_line_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_index(
            "ix_report_funding_line_programme_year", ["programme_id", "year"], unique=False
        )

    op.create_table(
        "report_analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("difficulties", sa.Text(), nullable=False),
        sa.Column("levers", sa.Text(), nullable=False),
        sa.Column("perspectives", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_report_analysis_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_report_analysis_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_analysis")),
        sa.UniqueConstraint("programme_id", "year", name=op.f("uq_report_analysis_programme_id")),
    )

    op.create_table(
        "stored_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_version", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_report")),
        sa.UniqueConstraint("scope_key", name=op.f("uq_stored_report_scope_key")),
    )
    with op.batch_alter_table("stored_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stored_report_year"), ["year"], unique=False)


def downgrade():
    with op.batch_alter_table("stored_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_report_year"))
    op.drop_table("stored_report")
    op.drop_table("report_analysis")
    with op.batch_alter_table("report_funding_line", schema=None) as batch_op:
        batch_op.drop_index("ix_report_funding_line_programme_year")
        batch_op.drop_index(batch_op.f("ix_report_funding_line_programme_id"))
    op.drop_table("report_funding_line")
