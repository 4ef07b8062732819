#!/usr/bin/env python3
"""The portal in a real browser: Playwright driving Debian's Chromium.

    portal-browser-test.py BASE_URL CONFIG_JSON

CONFIG_JSON: {"users": {"provider"|"class2"|"regulator"|"coordinator":
{"login", "password", "totp_secret"}}, "screenshots": DIR, "chromium": PATH}.
The users exist and have enrolled TOTP (crates/server/tests/portal.rs sets that up
and runs this script). The story: log in with TOTP; share an item through the scope
editor, keeping it from every regulator, after seeing the preview of who will see
what; see it masked as a class-2 member and not at all as a regulator; share an item
that requires a clearance the provider's user holds, which the uncleared class-2 member
and coordinator do not see at all; answer the feedback; issue an alert and acknowledge it. Screenshots go to DIR, and with
TSUNAGU_SCREENSHOTS=docs also to docs/ of this repository. Prints
"portal browser test: OK" at the end; any failed check raises.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import struct
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

TITLE = "Ransomware spreading over SMB in substations"
VICTIM = "VICTIM-SECRET Power Co."
TECHNICAL = "TECHNICAL-SECRET: lateral movement over SMB from the engineering workstation"
DAMAGE = "DAMAGE-SECRET: three substations on manual control"
CLEARED_TITLE = "CLEARED-SECRET: staging servers seen by a liaison service"


def totp(secret_b32, at=None):
    """RFC 6238 (HMAC-SHA1, 30 s, 6 digits), written from the RFC."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Story:
    def __init__(self, browser, base, config):
        self.browser = browser
        self.base = base.rstrip("/")
        self.users = config["users"]
        self.shots = Path(config["screenshots"])
        self.shots.mkdir(parents=True, exist_ok=True)
        self.docs = None
        if os.environ.get("TSUNAGU_SCREENSHOTS") == "docs":
            self.docs = Path(__file__).resolve().parent.parent / "docs"
            self.docs.mkdir(exist_ok=True)

    def shot(self, page, name, full_page=False):
        path = self.shots / name
        page.screenshot(path=str(path), full_page=full_page)
        if self.docs is not None:
            shutil.copy(path, self.docs / ("portal-" + name))
        print(f"screenshot {name}: {path.stat().st_size} bytes")

    def login(self, who):
        """A fresh browser context, logged in with password and TOTP."""
        user = self.users[who]
        ctx = self.browser.new_context(viewport=VIEWPORT, locale="ja-JP", timezone_id="Asia/Tokyo")
        ctx.set_default_timeout(30_000)
        page = ctx.new_page()
        page.goto(self.base + "/")
        expect(page).to_have_url(re.compile(r"/portal/login$"))
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        page.get_by_label("ログイン名").fill(user["login"])
        page.get_by_label("パスワード").fill(user["password"])
        page.get_by_role("button", name="ログイン").click()
        expect(page).to_have_url(re.compile(r"/portal/login/totp$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("二要素認証")
        page.get_by_label("認証アプリの6桁のコード").fill(totp(user["totp_secret"]))
        page.get_by_role("button", name="確認").click()
        expect(page).to_have_url(re.compile(r"/portal/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("ダッシュボード")
        cookie = [c for c in ctx.cookies() if c["name"] == "tsunagu_session"]
        assert cookie, "session cookie set"
        c = cookie[0]
        assert c["httpOnly"] and c["secure"] and c["sameSite"] == "Strict" and c["path"] == "/portal", c
        assert page.evaluate("document.cookie").find("tsunagu_session") < 0, "HttpOnly: not readable by script"
        return ctx, page

    def share_item(self):
        ctx, page = self.login("provider")
        page.get_by_role("link", name="情報を共有").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("情報を共有する")
        page.get_by_label("種別").select_option("threat_information")
        page.get_by_label("件名").fill(TITLE)
        page.get_by_label("経営層向けの背景").fill("Substation control may stop; operators fall back to manual control.")
        page.get_by_label("技術詳細").fill(TECHNICAL)
        page.get_by_label("対策", exact=True).fill("Block 203.0.113.77 at the border; disable SMBv1.")
        page.get_by_label("指標 (IoC)").fill("ipv4 203.0.113.77\nevil-substation.example")
        page.get_by_label("CVE").fill("CVE-2017-0144")
        page.get_by_label("確度").select_option("probable")
        page.get_by_label("TLP").select_option("amber")
        page.get_by_label("被害組織名").fill(VICTIM)
        page.get_by_label("被害組織の分野").select_option("electricity")
        page.get_by_label("被害が発生した").check()
        page.get_by_label("被害の詳細").fill(DAMAGE)
        # The scope editor: class 1 and 2, every regulator excluded.
        expect(page.get_by_label("第一類")).to_be_checked()
        expect(page.get_by_label("第二類")).to_be_checked()
        page.get_by_label("すべての所管省庁に共有しない").check()
        page.get_by_role("button", name="誰に何が見えるかを確認する").click()
        # The preview: who will see what, before anything is shared.
        expect(page.get_by_role("heading", level=1)).to_have_text("共有前の確認: 誰に何が見えるか")
        expect(page.locator(".regulator-verdict")).to_contain_text("所管省庁には届きません。")
        expect(page.locator(".reg-count")).to_have_text("0 / 1")
        expect(page.locator("#by-class tr[data-class=class2] td").first).to_have_text("1")
        expect(page.locator("#what-each-sees")).to_contain_text("第二類 (マスク済み)")
        self.shot(page, "scope-preview.png", full_page=True)
        page.get_by_role("button", name="この内容で共有する").click()
        expect(page.locator(".flash")).to_have_text("共有しました。")
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(page.locator("body")).to_contain_text(VICTIM)  # the provider sees all
        item_url = page.url.split("?")[0]
        # A second login within the same 30 s would reuse the TOTP code, which is refused.
        cleared_url = self.share_cleared_item(page)
        ctx.close()
        return item_url, cleared_url

    def share_cleared_item(self, page):
        """The provider's user holds a clearance: it requires it on an item, and the
        preview says only cleared users will see it."""
        page.goto(self.base + "/portal/items/new")
        page.get_by_label("種別").select_option("threat_information")
        page.get_by_label("件名").fill(CLEARED_TITLE)
        page.get_by_label("対策", exact=True).fill("Block the staging domain.")
        page.get_by_label("指標 (IoC)").fill("cleared-staging.example")
        page.get_by_label("確度").select_option("confirmed")
        page.get_by_label("TLP").select_option("amber")
        page.get_by_label("必要なクリアランス").select_option("confidential")
        page.get_by_role("button", name="誰に何が見えるかを確認する").click()
        expect(page.locator("#clearance-note")).to_contain_text("confidential")
        page.get_by_role("button", name="この内容で共有する").click()
        expect(page.locator(".flash")).to_have_text("共有しました。")
        expect(page.locator("#clearance-badge")).to_contain_text("confidential")
        return page.url.split("?")[0]

    def uncleared_sees_nothing(self, page, cleared_url):
        page.goto(self.base + "/portal/items")
        expect(page.get_by_role("heading", level=1)).to_have_text("共有情報")
        expect(page.locator("main")).not_to_contain_text(CLEARED_TITLE)
        resp = page.goto(cleared_url)
        assert resp.status == 404, resp.status
        expect(page.locator("main")).not_to_contain_text(CLEARED_TITLE)

    def class2_dashboard(self):
        ctx, page = self.login("class2")
        expect(page.locator("#h-owed")).to_contain_text("1")
        expect(page.locator("#h-alerts")).to_contain_text("1")
        self.shot(page, "dashboard.png")
        return ctx, page

    def class2_sees_masked_and_answers(self, page, item_url):
        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        body = page.locator("main")
        for secret in [VICTIM, "TECHNICAL-SECRET", "DAMAGE-SECRET", self.users["provider"]["login"]]:
            expect(body).not_to_contain_text(secret)
        expect(body).to_contain_text("技術詳細はあなたの区分には開示されません。")
        expect(body).to_contain_text("被害組織名は開示されません。")
        expect(body).to_contain_text("203.0.113.77")
        expect(body).to_contain_text("第二類 (マスク済み)")
        self.shot(page, "item-masked.png")
        # The three answers, keyboard first: tab to 来ている and press Enter.
        seen = page.get_by_role("button", name="来ている", exact=True)
        expect(page.get_by_role("button", name="来ていない")).to_be_visible()
        expect(page.get_by_role("button", name="わからない")).to_be_visible()
        seen.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".flash")).to_have_text("回答を記録しました。ありがとうございます。")
        expect(page.locator(".feedback")).to_contain_text("あなたの組織の回答: 来ている")
        # On a phone.
        page.set_viewport_size(PHONE)
        page.goto(item_url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"no sideways scrolling at 390 px (got {width})"
        page.set_viewport_size(VIEWPORT)

    def regulator_sees_nothing(self, item_url):
        ctx, page = self.login("regulator")
        page.goto(self.base + "/portal/items")
        expect(page.get_by_role("heading", level=1)).to_have_text("共有情報")
        expect(page.locator("main")).not_to_contain_text(TITLE)
        resp = page.goto(item_url)
        assert resp.status == 404, resp.status
        expect(page.locator("main")).not_to_contain_text(TITLE)
        ctx.close()

    def issue_alert(self):
        ctx, page = self.login("coordinator")
        page.get_by_role("link", name="早期警戒を発出する").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("早期警戒を発出する")
        page.get_by_label("件名").fill("SMB worm: isolate substation networks")
        page.get_by_label("重要度").select_option("critical")
        page.get_by_label("求める対応").fill("Isolate substation networks from office networks by 18:00 today.")
        page.get_by_label("対応期限").fill("本日 18:00 JST")
        page.get_by_label("第二類").check()
        page.get_by_role("button", name="発出する").click()
        expect(page.locator(".flash")).to_have_text("発出しました。")
        expect(page.locator("#progress")).to_be_visible()
        alert_url = page.url.split("?")[0]
        return ctx, page, alert_url

    def acknowledge(self, page):
        page.goto(self.base + "/portal/")
        expect(page.locator("#h-alerts")).to_contain_text("1")
        page.get_by_role("link", name="SMB worm: isolate substation networks").click()
        expect(page.locator(".receipt")).to_have_text("未確認")
        page.get_by_role("button", name="確認").click()
        expect(page.locator(".flash")).to_have_text("記録しました。")
        expect(page.locator(".receipt")).to_have_text("確認済み")
        page.get_by_role("button", name="対応済み").click()
        expect(page.locator(".receipt")).to_have_text("対応済み")
        page.goto(self.base + "/portal/")
        expect(page.locator("#h-alerts")).to_contain_text("0")
        expect(page.locator("#h-owed")).to_contain_text("0")

    def check_pages(self, page, paths):
        """Each page: one <main>, one <h1>, every control labelled, no sideways
        scrolling on a phone, at 1280 px and at 390 px."""
        for size in (VIEWPORT, PHONE):
            page.set_viewport_size(size)
            for path in paths:
                resp = page.goto(path if path.startswith("http") else self.base + path)
                assert resp.status == 200, (path, resp.status)
                assert page.locator("main").count() == 1, path
                assert page.locator("h1").count() == 1, path
                unlabelled = page.evaluate(
                    """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
                        .filter(e => e.tagName === 'BUTTON' ? !e.textContent.trim() : !(e.labels && e.labels.length))
                        .map(e => e.name || e.id || e.outerHTML)"""
                )
                assert not unlabelled, (path, unlabelled)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= size["width"] + 1, f"{path}: {width} px wide at {size['width']} px"
        page.set_viewport_size(VIEWPORT)

    def ask_consultation(self, page):
        """Asks the class-1 group through the form; returns the consultation's URL."""
        page.goto(self.base + "/portal/consultations/new")
        page.get_by_label("件名").fill("Odd DNS traffic")
        page.get_by_label("質問").fill("Lookups of a fresh domain from the SCADA segment")
        page.get_by_label("指標 (IoC)").fill("192.0.2.7")
        page.get_by_role("button", name="相談を送る").click()
        expect(page).to_have_url(re.compile(r"/portal/consultations/[^/?]+\?ok=asked$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Odd DNS traffic")
        return page.url.split("?")[0]

    def create_token(self, page):
        """A token through the form: its secret is shown once."""
        page.goto(self.base + "/portal/settings/tokens")
        page.get_by_label("名前").fill("browser test")
        page.get_by_role("button", name="トークンを作成").click()
        expect(page.locator("#token-secret")).to_have_text(re.compile(r".{20,}"))
        page.goto(self.base + "/portal/settings/tokens")
        expect(page.locator("#token-secret")).to_have_count(0)
        expect(page.locator("#tokens")).to_contain_text("browser test")

    def upload_sbom(self, page):
        """An SBOM chosen as a file (multipart upload) lands in the member's SBOMs."""
        page.goto(self.base + "/portal/assets")
        sbom = {
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "metadata": {"component": {"type": "firmware", "name": "Browser-uploaded firmware", "version": "2.1"}},
            "components": [{"type": "library", "name": "zlib", "version": "1.3.1", "purl": "pkg:generic/zlib@1.3.1"}],
        }
        page.locator("#sbom_file").set_input_files(files=[{
            "name": "firmware.cdx.json", "mimeType": "application/json",
            "buffer": json.dumps(sbom).encode(),
        }])
        page.locator("#upload-sbom button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/portal/assets\?ok=sbom$"))
        expect(page.locator("#sboms")).to_contain_text("Browser-uploaded firmware")

    def language_switch(self, page):
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        page.get_by_role("button", name="日本語").click()
        expect(page.locator("html")).to_have_attribute("lang", "ja")


def main():
    base, config = sys.argv[1], json.loads(sys.argv[2])
    # A debug-built server shares two cores with other tests: be patient.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=config.get("chromium", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        story = Story(browser, base, config)
        item_url, cleared_url = story.share_item()
        co_ctx, co_page, alert_url = story.issue_alert()
        c2_ctx, c2_page = story.class2_dashboard()
        story.class2_sees_masked_and_answers(c2_page, item_url)
        story.uncleared_sees_nothing(c2_page, cleared_url)
        story.uncleared_sees_nothing(co_page, cleared_url)
        story.regulator_sees_nothing(item_url)
        story.acknowledge(c2_page)
        story.language_switch(c2_page)
        consultation_url = story.ask_consultation(c2_page)
        story.create_token(c2_page)
        story.upload_sbom(c2_page)
        story.check_pages(c2_page, [
            "/portal/", "/portal/items", "/portal/items?indicator=203.0.113.77", item_url,
            "/portal/items/new", "/portal/alerts", alert_url, "/portal/consultations", "/portal/settings",
            "/portal/constituency", "/portal/observations", "/portal/trends", "/portal/kev", "/portal/assets",
            "/portal/incidents", "/portal/incidents/new", "/portal/consultations/new", consultation_url,
            "/portal/settings/channels", "/portal/settings/tokens", "/portal/settings/users",
            "/portal/governance", "/portal/advisories",
        ])
        story.check_pages(co_page, [
            "/portal/alerts/new", alert_url, "/portal/constituency", consultation_url, "/portal/audit",
            "/portal/members", "/portal/clearances", "/portal/partners", "/portal/governance",
            "/portal/vendor-requests",
        ])
        co_page.goto(story.base + "/portal/constituency")
        expect(co_page.locator("#h-queue")).to_contain_text("1")
        co_page.goto(alert_url)
        expect(co_page.locator("#progress td.acted").first).to_have_text("1")
        story.shot(co_page, "alert.png")
        c2_ctx.close()
        co_ctx.close()
        browser.close()
    print("portal browser test: OK")


if __name__ == "__main__":
    main()
