"""Invitations: the join link, my invite code and its shareable poster."""
from flask import (Blueprint, Response, abort, current_app, redirect, render_template, session,
                   url_for)
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from PIL import Image, ImageDraw

from ..config import LANGUAGES
from ..extensions import limiter
from ..fonts import font_files
from ..i18n import current_language
from ..images import centered_text, png_bytes, qr_image
from ..urls import public_url
from . import services

bp = Blueprint("referrals", __name__)


def join_url(code: str) -> str:
    return public_url("referrals.join", code=code)


@bp.route("/join/<code>")
@limiter.limit("30 per minute")
def join(code: str):
    """A mentor's invite link: remember the code and go to sign-up (which checks it)."""
    session["invite_code"] = services.normalize_code(code)[:12]
    return redirect(url_for("accounts.register", code=session["invite_code"]))


# Ready to paste into a chat, in both languages (the newcomer may read the other one).
INVITATION = _l("I'm learning to sell with SmallB Academy: free short courses on building a "
                "WeChat group, choosing products and serving customers, a few minutes a lesson "
                "on the phone. Sign up with my link and I'll help you along: %(link)s")


def invitation_texts(link: str) -> list[tuple[str, str]]:
    """(language, text) for every language, the reader's own first."""
    first = current_language()
    texts = []
    for language in sorted(LANGUAGES, key=lambda code: code != first):
        with force_locale(LANGUAGES[language]):
            texts.append((language, str(INVITATION) % {"link": link}))
    return texts


@bp.route("/invite")
@login_required
def invite():
    node = services.node_of(current_user) or abort(404)  # every account has one
    link = join_url(node.invite_code)
    response = Response(render_template("referrals/invite.html", node=node, link=link,
                                        texts=invitation_texts(link)), mimetype="text/html")
    response.vary.add("User-Agent")  # WeChat's in-app browser gets the long-press poster
    return response


@bp.route("/invite/poster.png")
@login_required
def poster():
    node = services.node_of(current_user) or abort(404)
    files = font_files(current_app.config.get("CERTIFICATE_FONT"))
    width, height = 1080, 1440
    image = Image.new("RGB", (width, height), "#fff8f0")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 200], fill="#d9480f")
    centered_text(draw, width, current_app.config["ISSUER_NAME"], 70, 52, files, "#ffffff")
    centered_text(draw, width, f"{current_user.display_name} 邀请你一起学习", 290, 60, files, "#1f2328")
    centered_text(draw, width, "免费课程：建群、选品种草、客户服务", 390, 40, files, "#5b6470")
    centered_text(draw, width, "Free training for small-B sellers", 450, 36, files, "#5b6470")
    image.paste(qr_image(join_url(node.invite_code), 520), ((width - 520) // 2, 560))
    centered_text(draw, width, f"邀请码 Invite code: {node.invite_code}", 1140, 48, files, "#d9480f")
    centered_text(draw, width, "扫码注册 · Scan to join", 1230, 36, files, "#5b6470")
    response = Response(png_bytes(image), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
