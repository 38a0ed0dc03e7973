"""The ceiling: a bare Flask app rendering one template, under the portal's gunicorn settings."""

import os

from flask import Flask, render_template

app = Flask(__name__, template_folder=os.path.join(os.path.dirname(__file__), "templates"))

ITEMS = [f"Élément {n}" for n in range(10)]


@app.route("/")
def hello():
    return render_template("hello.html", title="Bonjour", items=ITEMS)
