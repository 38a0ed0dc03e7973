"""The private owners' pages, one module per audience, on the ``owners`` blueprint (its URLs
start with /landlords):

- ``public``: the scheme explained, the simulator, signing up with a first offer;
- ``owner``: the owner's own offers, their steps, tracker, messages and documents;
- ``staff``: the CCAS's board of offers and the handling of each;
- ``coordinator``: the rules pages (parameters and rent ceilings as dated data);
- ``shared``: what the owner's and the CCAS's pages share (and the document download).
"""

from portal.owners import bp
from portal.owners.views import coordinator, owner, public, shared, staff

__all__ = ["bp", "coordinator", "owner", "public", "shared", "staff"]
