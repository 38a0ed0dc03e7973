"""Password hashing (argon2id) and the strength policy."""

from collections.abc import Sequence
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.i18n import _

MIN_LENGTH = 12
MAX_LENGTH = 128
# Words everybody here would try first.
DOMAIN_WORDS = ["portail", "partenaires", "ccas", "concarneau", "siao", "logement", "finistere"]

# argon2id with OWASP's first recommended setting (Password Storage Cheat Sheet): 19 MiB,
# 2 passes, 1 lane. The library's default (RFC 9106 low-memory, 64 MiB) would make each
# sign-in raise a worker's memory by 64 MiB. Older hashes are upgraded at the next sign-in
# (needs_rehash).
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verifying against this keeps a sign-in with an unknown e-mail as slow as with a known one.
DUMMY_HASH = hasher.hash("not-a-real-password-but-just-as-slow")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's word lists weigh about 13 MB: a worker loads them the first time someone
    chooses a password, not at start."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, user_inputs: Sequence[str] = ()) -> str | None:
    """What is wrong with a new password, in French, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Le mot de passe doit contenir au moins %(min)d caractères.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Le mot de passe doit contenir au plus %(max)d caractères.", max=MAX_LENGTH)
    if password.lower() in common_passwords():
        return _(
            "Ce mot de passe fait partie des mots de passe les plus courants : "
            "choisissez-en un autre."
        )
    from zxcvbn import zxcvbn  # heavy: see common_passwords

    inputs = [value for value in [*user_inputs, *DOMAIN_WORDS, *portal_words()] if value]
    if built_from(password, inputs):
        return _(
            "Ce mot de passe est fait de votre nom, de votre adresse ou de mots du portail "
            "(organisations, communes) : choisissez d'autres mots."
        )
    if zxcvbn(password, user_inputs=inputs)["score"] < 3:
        return _(
            "Ce mot de passe est trop facile à deviner : allongez-le, par exemple avec "
            "plusieurs mots sans rapport entre eux."
        )
    return None


def portal_words() -> list[str]:
    """The portal's own words, which anyone trying passwords here would try first (ASVS
    6.2.11): the organisations' names and the territories' communes, word by word."""
    import re

    import sqlalchemy as sa

    from portal.extensions import db
    from portal.models import Commune, Organisation, Territory

    names = [
        *db.session.scalars(sa.select(Organisation.name)),
        *db.session.scalars(sa.select(Commune.name)),
        *db.session.scalars(sa.select(Territory.name)),
    ]
    words = {w.lower() for name in names for w in re.split(r"[\s'’-]+", name) if len(w) >= 4}
    return sorted(words | {name.lower() for name in names})


def built_from(password: str, words: list[str]) -> bool:
    """Little is left of the password once the given words are taken out of it."""
    import re

    rest = password.lower()
    pieces = {p for w in words for p in re.split(r"[\s@.'’-]+", w.lower()) if len(p) >= 3}
    for piece in sorted(pieces, key=len, reverse=True):
        rest = rest.replace(piece, "")
    if rest == password.lower():
        return False
    return len(re.sub(r"[\W_\d]", "", rest)) < 6
