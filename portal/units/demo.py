"""Demo data of the programmes and units, loaded by `flask demo load` after the actions."""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Accommodation, Commune, DpeClass, Programme, Typology, Unit, UnitStatus
from portal.models.housing import ProgrammeSituation

PROGRAMMES = [
    (
        "IML sortie de structures",
        10,
        "Intermédiation locative en sous-location avec bail glissant, pour des ménages prêts "
        "à sortir d'une structure d'hébergement (CHRS urgence, ALT, logements d'urgence pour "
        "femmes victimes de violences, pension de famille).",
    ),
    (
        "IML DALO",
        5,
        "Mesures réservées aux ménages reconnus prioritaires au titre du droit au logement "
        "opposable.",
    ),
]

STRUCTURE_EXITS = (
    Accommodation.CHRS_URGENCE,
    Accommodation.ALT,
    Accommodation.URGENCE_FEMMES,
    Accommodation.PENSION_DE_FAMILLE,
)

# landlord, address, commune, typology, surface, rent, charges, DPE, floor, lift, status
UNITS = [
    (
        "Finistère Habitat",
        "12 rue des Écoles",
        "Concarneau",
        Typology.T1,
        "31",
        "298",
        "42",
        DpeClass.C,
        2,
        True,
        UnitStatus.AVAILABLE,
    ),
    (
        "Finistère Habitat",
        "4 allée des Mouettes",
        "Concarneau",
        Typology.T2,
        "47",
        "365",
        "55",
        DpeClass.D,
        1,
        False,
        UnitStatus.OFFERED,
    ),
    (
        "Finistère Habitat",
        "27 rue de Quimper",
        "Rosporden",
        Typology.T2,
        "52",
        "342",
        "48",
        DpeClass.C,
        0,
        False,
        UnitStatus.AVAILABLE,
    ),
    (
        "OPAC Quimper Cornouaille",
        "3 place de la Gare",
        "Rosporden",
        Typology.T3,
        "68",
        "412",
        "70",
        DpeClass.D,
        3,
        True,
        UnitStatus.AVAILABLE,
    ),
    (
        "OPAC Quimper Cornouaille",
        "8 rue du Port",
        "Concarneau",
        Typology.T1,
        "28",
        "285",
        "38",
        DpeClass.B,
        4,
        True,
        UnitStatus.OFFERED,
    ),
    (
        "OPAC Quimper Cornouaille",
        "15 résidence Ker Moor",
        "Trégunc",
        Typology.T3,
        "71",
        "430",
        "65",
        DpeClass.C,
        1,
        False,
        UnitStatus.RETURNED,
    ),
    (
        "Aiguillon",
        "2 impasse des Genêts",
        "Trégunc",
        Typology.T2,
        "49",
        "356",
        "45",
        DpeClass.C,
        0,
        False,
        UnitStatus.AVAILABLE,
    ),
    (
        "Aiguillon",
        "19 rue Jules Ferry",
        "Concarneau",
        Typology.T4,
        "82",
        "498",
        "85",
        DpeClass.D,
        2,
        False,
        UnitStatus.AVAILABLE,
    ),
    (
        "Aiguillon",
        "6 rue de l'Aven",
        "Pont-Aven",
        Typology.T2,
        "45",
        "338",
        "40",
        DpeClass.E,
        1,
        False,
        UnitStatus.OFFERED,
    ),
    (
        "Espacil",
        "10 rue des Glénan",
        "Concarneau",
        Typology.T1,
        "33",
        "305",
        "40",
        DpeClass.C,
        1,
        True,
        UnitStatus.AVAILABLE,
    ),
    (
        "Espacil",
        "1 chemin de Kerancalvez",
        "Melgven",
        Typology.T3,
        "64",
        "398",
        "60",
        DpeClass.D,
        0,
        False,
        UnitStatus.AVAILABLE,
    ),
    (
        "Espacil",
        "5 rue du Moulin",
        "Névez",
        Typology.T2,
        "46",
        "347",
        "44",
        DpeClass.C,
        1,
        False,
        UnitStatus.RETURNED,
    ),
]


def load_demo_programmes(data: dict) -> None:
    """Two programmes and a dozen units of the territory's social landlords (flushes)."""
    territory = data["territory"]
    organisations = data["organisations"]
    programmes = {
        name: Programme(territory=territory, name=name, capacity=capacity, description=text)
        for name, capacity, text in PROGRAMMES
    }
    # « Sortie de structures » is for households leaving the CCAS's shelters (field report);
    # the DALO programme is for any situation, once the DALO commission has recognised it.
    programmes[PROGRAMMES[0][0]].situations = [
        ProgrammeSituation(accommodation=a) for a in STRUCTURE_EXITS
    ]
    programmes[PROGRAMMES[1][0]].requires_dalo = True
    db.session.add_all(programmes.values())
    communes = {
        c.name: c
        for c in db.session.scalars(sa.select(Commune).where(Commune.territory == territory))
    }
    today = date.today()
    creator = data["users"].get("bailleur@finistere-habitat.demo")
    units = []
    for index, row in enumerate(UNITS):
        landlord, address, commune, typology, surface, rent, charges, dpe, floor, lift, status = row
        units.append(
            Unit(
                social_landlord=organisations[landlord],
                address=address,
                commune=communes[commune],
                typology=typology,
                surface=Decimal(surface),
                rooms=max(int(typology.value[1]), 1),
                floor=floor,
                lift=lift,
                accessible=lift and floor <= 4,
                rent=Decimal(rent),
                charges=Decimal(charges),
                dpe_class=dpe,
                available_from=today + timedelta(days=7 * (index % 4)),
                status=status,
                created_by=creator if landlord == "Finistère Habitat" else None,
            )
        )
    db.session.add_all(units)
    db.session.flush()
    data["programmes"] = programmes
    data["units"] = units
