"""Pages and logins."""

import datetime
import hmac
import logging

import jwt
import requests
from flask import Flask, request
from flask_cors import CORS
from flask_wtf.csrf import CSRFProtect

app = Flask(__name__)
csrf = CSRFProtect(app)  # expect: security.csrf-protection
CORS(app, supports_credentials=True)  # expect: security.cors-credentials-any-origin
log = logging.getLogger(__name__)
SIGNING_KEY = app.config.get("SIGNING_KEY", "")


@app.route("/login", methods=["POST"])  # expect: security.login-no-rate-limit
def login():
    user, password = request.form["user"], request.form["password"]
    log.info("login attempt for %s with %s", user, password)  # expect: security.secret-in-log
    log.info("password accepted for %s", user)
    if not hmac.compare_digest(password, expected_password(user)):
        return "no", 403
    response = app.make_response("ok")
    response.set_cookie("app_actor", issue_token(user))  # expect: security.cookie-flags
    response.set_cookie("session", issue_token(user), httponly=True, secure=True)
    return response


@app.post("/password-reset")  # expect: security.login-no-rate-limit
def reset_password():
    email = request.form["email"]
    log.debug("reset requested with key %s", app.config["API_KEY"])
    return send_reset(email)


@app.route("/login")
def login_page():
    return "<form method=post></form>"


def issue_token(user: str) -> str:
    return jwt.encode({"sub": user}, SIGNING_KEY, algorithm="HS256")  # expect: security.token-without-expiry


def issue_short_token(user: str) -> str:
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    return jwt.encode({"sub": user, "exp": expires}, SIGNING_KEY, algorithm="HS256")


@app.route("/preview")
def preview():
    target = request.args.get("url")
    return requests.get(target, timeout=5).text  # expect: security.ssrf, reliability.no-circuit-breaker


@app.get("/mirror/<path:where>")
def mirror(where):
    return requests.get(where, timeout=5).text  # expect: security.ssrf


def refresh_feed(feed_url: str) -> str:
    return requests.get(feed_url, timeout=5).text


def remember(response, api_token: str) -> None:
    log.warning("storing api token %s", api_token)  # expect: security.secret-in-log
    response.set_cookie("theme", "dark")


def expected_password(user: str) -> str:
    return app.config["PASSWORDS"][user]


def send_reset(email: str) -> str:
    return email
