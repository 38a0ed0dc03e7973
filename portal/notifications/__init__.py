"""Notifications each person chooses: per kind, at once, in a daily or weekly digest, or
never; and the people an organisation names to receive what is addressed to it."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)
