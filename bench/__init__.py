"""The benchmark: bare Flask against the portal on territory-scale data (`make bench`)."""
