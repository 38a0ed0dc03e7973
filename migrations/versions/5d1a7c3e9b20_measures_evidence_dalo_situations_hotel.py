"""Measures that check what they record: rent regularity justified, stabilisation assessed,
early slides flagged; DALO recognition, programme situations and hotel stays on candidacies;
identity sharing in the household-information record

Revision ID: 5d1a7c3e9b20
Revises: 79c80126247d
Create Date: 2026-12-03 17:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d1a7c3e9b20"
down_revision = "79c80126247d"
branch_labels = None
depends_on = None

ACCOMMODATIONS = (
    "chrs_urgence",
    "alt",
    "pension_de_famille",
    "urgence_femmes",
    "hotel",
    "sans_solution",
    "autre",
)


def enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade():
    op.create_table(
        "programme_situation",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("accommodation", enum("accommodation", *ACCOMMODATIONS), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_situation_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "programme_id", "accommodation", name=op.f("pk_programme_situation")
        ),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_dalo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("candidacy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dalo_recognised_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "dalo_decision_reference", sa.String(length=60), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "situation_justification",
                sa.String(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("in_hotel", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("hotel_since", sa.Date(), nullable=True))
    with op.batch_alter_table("bilan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "rent_regularity_justification",
                sa.String(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "budget_assessment",
                enum("budgetassessment", "maitrise", "en_progres", "fragile"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "support_assessment",
                enum("supportassessment", "en_place", "non_necessaire", "a_organiser"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "household_wish",
                enum("householdwish", "souhaite_le_bail", "pas_pret", "autre_logement"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "stabilisation_notes", sa.String(length=1000), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("early_slide", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "early_slide_justification",
                sa.String(length=1000),
                nullable=False,
                server_default="",
            )
        )
    # Records written before this version said what was shared in words only: none of them
    # counts as allowing the identity to leave; the CCAS records a new one where it does.
    with op.batch_alter_table("information_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allows_identity", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("information_record", schema=None) as batch_op:
        batch_op.drop_column("allows_identity")
    with op.batch_alter_table("bilan", schema=None) as batch_op:
        for column in (
            "early_slide_justification",
            "early_slide",
            "stabilisation_notes",
            "household_wish",
            "support_assessment",
            "budget_assessment",
            "rent_regularity_justification",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("candidacy", schema=None) as batch_op:
        for column in (
            "hotel_since",
            "in_hotel",
            "situation_justification",
            "dalo_decision_reference",
            "dalo_recognised_on",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("requires_dalo")
    op.drop_table("programme_situation")
