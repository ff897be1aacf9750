"""The answer to an emailed link that was altered or already used."""

from flask import render_template


def bad_link() -> tuple[str, int]:
    return render_template("auth/bad_link.html"), 400
