#!/usr/bin/env python3
"""Open report.html in headless Chromium from file:// with networking disabled and check it.

Usage: browser.py REPORT.html SWEEP.json [--screenshots DIR]

Checks (exit 1 with a message on the first failure):
- no console error (including Content-Security-Policy violations) and no request for anything but
  the file itself (data: URLs inside it are allowed);
- no horizontal overflow of the page at 1280 px and 390 px widths;
- moving a slider (with the keyboard, as a user would) shows P(hit) and its interval of the sweep
  at that grid point, as sweep.json on disk records it;
- clicking the P(hit) header sorts the table by probability; the language switch hides the other
  language.

Called by tests/report.rs (`cargo test`); needs the Debian packages chromium and chromium-driver
and the pip package selenium (scripts/setup installs them).
"""

import json
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def fail(message):
    print(f"browser test FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def js_fixed1(x):
    """JavaScript's x.toFixed(1) for x >= 0: the exact binary value rounded half up."""
    return str(Decimal(x).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def start(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        # Networking off: every host resolves to nothing and every proxy connection is refused.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        "--window-size=1280,900",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def set_width(driver, width):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def overflow(driver):
    """(scrollWidth, clientWidth, elements sticking out on the right) of the page."""
    return driver.execute_script(
        """
        const root = document.documentElement;
        const width = root.clientWidth;
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
          if (el.closest('.table-wrap')) continue;
          const r = el.getBoundingClientRect();
          if (r.width > 0 && r.right > width + 0.5) out.push(el.tagName + '.' + el.className + ' right=' + r.right.toFixed(0));
          if (out.length > 5) break;
        }
        return [root.scrollWidth, width, out];
        """
    )


def requests(driver, url):
    """Every request made for the page or by it (its document is `url`), from the DevTools log;
    the browser's own pages (its new-tab page before the report is opened) are not the page's."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            params = message["params"]
            if params.get("documentURL", "").split("#")[0] == url:
                urls.append(params["request"]["url"])
    return urls


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def check_slider(driver, box, sweeps, key):
    target = box.get_attribute("data-target")
    param = box.get_attribute("data-param")
    slider = box.find_element(By.CSS_SELECTOR, "input[type=range]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", slider)
    slider.click()
    slider.send_keys(key)
    k = int(slider.get_attribute("value"))
    sweep = next((s for s in sweeps if s["param"] == param), None)
    if sweep is None:
        fail(f"sweep.json has no sweep of {param}")
    curve = next((c for c in sweep["curves"] if c["target"] == target), None)
    if curve is None:
        fail(f"sweep.json has no curve of {target} for {param}")
    point = curve["points"][k]["probability"]
    shown = box.find_element(By.CSS_SELECTOR, ".wp")
    if float(shown.get_attribute("data-p")) != point["probability"]:
        fail(f"{target}/{param} at grid point {k}: the page holds P = {shown.get_attribute('data-p')}, sweep.json {point['probability']}")
    want = js_fixed1(100 * point["probability"]) + "%"
    if shown.text != want:
        fail(f"{target}/{param} at grid point {k}: the slider shows {shown.text!r}, sweep.json gives {want!r}")
    interval = box.find_element(By.CSS_SELECTOR, ".wi").text
    want_interval = f"[{js_fixed1(100 * point['ci_low'])}, {js_fixed1(100 * point['ci_high'])}]"
    if interval != want_interval:
        fail(f"{target}/{param} at grid point {k}: interval {interval!r}, sweep.json gives {want_interval!r}")
    return k


def main():
    args = sys.argv[1:]
    shots = None
    if "--screenshots" in args:
        i = args.index("--screenshots")
        shots = Path(args[i + 1])
        shots.mkdir(parents=True, exist_ok=True)
        del args[i : i + 2]
    report, sweep_file = Path(args[0]).resolve(), Path(args[1])
    sweeps = json.loads(sweep_file.read_text(encoding="utf-8"))["sweeps"]
    url = report.as_uri()
    with tempfile.TemporaryDirectory() as profile:
        driver = start(profile)
        try:
            set_width(driver, 1280)
            driver.get(url)
            driver.find_element(By.ID, "target-table")

            # Sliders: the first slider of the first cards, moved right, to the end and home.
            boxes = driver.find_elements(By.CSS_SELECTOR, ".whatif")
            if not boxes:
                fail("the page has no what-if slider")
            moved = 0
            for box in boxes[:4]:
                start_k = int(box.find_element(By.CSS_SELECTOR, "input").get_attribute("value"))
                k = check_slider(driver, box, sweeps, Keys.ARROW_RIGHT)
                if k != start_k + 1:
                    fail(f"ARROW_RIGHT moved the slider from {start_k} to {k}")
                check_slider(driver, box, sweeps, Keys.END)
                if check_slider(driver, box, sweeps, Keys.HOME) != 0:
                    fail("HOME did not move the slider to the first grid value")
                moved += 1

            # Sorting by P(hit), ascending on the first click.
            header = driver.find_elements(By.CSS_SELECTOR, "#target-table th")[3]
            driver.execute_script("arguments[0].scrollIntoView();", header)
            header.click()
            keys = driver.execute_script(
                "return Array.from(document.querySelectorAll('#target-table tbody tr')).map(r => parseFloat(r.cells[3].getAttribute('data-v')));"
            )
            if keys != sorted(keys):
                fail(f"the table is not sorted by P(hit) after a click: {keys[:8]}…")

            # Language switch.
            for lang, other in [("en", "zh"), ("zh", "en")]:
                driver.find_element(By.CSS_SELECTOR, f"[data-set-lang={lang}]").click()
                shown = driver.execute_script(
                    f"return [getComputedStyle(document.querySelector('span.{lang}')).display, getComputedStyle(document.querySelector('span.{other}')).display];"
                )
                if shown[0] == "none" or shown[1] != "none":
                    fail(f"after switching to {lang}: display of .{lang} is {shown[0]}, of .{other} is {shown[1]}")

            for width in (1280, 390):
                set_width(driver, width)
                driver.get(url)
                scroll, client, culprits = overflow(driver)
                if scroll > client:
                    fail(f"horizontal overflow at {width} px: scrollWidth {scroll} > clientWidth {client}; {culprits}")
                if shots:
                    for lang in ("zh", "en"):
                        driver.find_element(By.CSS_SELECTOR, f"[data-set-lang={lang}]").click()
                        height = min(4000, driver.execute_script("return document.documentElement.scrollHeight"))
                        png = driver.execute_cdp_cmd(
                            "Page.captureScreenshot",
                            {"captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
                        )
                        import base64

                        (shots / f"report-{width}-{lang}.png").write_bytes(base64.b64decode(png["data"]))
                        card = driver.execute_script("return document.querySelector('.card').getBoundingClientRect().top + window.scrollY")
                        png = driver.execute_cdp_cmd(
                            "Page.captureScreenshot",
                            {"captureBeyondViewport": True, "clip": {"x": 0, "y": card, "width": width, "height": 1600, "scale": 1}},
                        )
                        (shots / f"card-{width}-{lang}.png").write_bytes(base64.b64decode(png["data"]))

            errors = console_errors(driver)
            if errors:
                fail(f"console errors: {errors}")
            made = requests(driver, url)
            if url not in made:
                fail(f"the DevTools log does not show the page itself being loaded: {made[:5]}")
            outside = [u for u in made if u.split("#")[0] != url and not u.startswith("data:")]
            if outside:
                fail(f"requests outside the file: {outside[:5]}")
            print(f"browser test ok: {len(boxes)} sliders ({moved} moved), no console error, no request outside {report.name}, no overflow at 1280 and 390 px")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
