#!/usr/bin/env python3
"""Drives Earshot's web UI in a real browser (Debian's chromium through chromedriver).

Starts `earshot serve` on a free loopback port with a fresh data directory and the real engine,
then: uploads a LibriVox recording on /jobs; watches the dashboard (opened before the upload, never
reloaded) show the job running and then succeeded; opens the transcript and checks its words
against the reference (WER); clicks a segment and sees the audio position move there; searches a
word of it and lands on the right segment; edits a segment and sees the revision. Then live:
`earshot listen` plays a reading in real time while /live shows its draft arrive; the LLM's
suggestion (from a stand-in for an OpenAI-compatible API, since no LLM can run here) is partly
approved on the draft page; a file stream that labels speakers is added, seen running, its draft
labelled "Speaker 1", and stopped. Then accounts, on a
second server with an admin: a page without a session goes to the sign-in page, a wrong password
is refused in words, signing in returns to the page asked for, an upload and a cancel pass the
CSRF check; the admin adds a member on /users and shares a job with her; she sees it, makes and
revokes an API key and changes her password on /account; signing out ends the session. A
screenshot of every page goes to the output
folder. Exits non-zero on the first failed check.
"""
import argparse
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import wave

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
from earshot_server import EarshotServer  # noqa: E402
from librivox import CLIPS, clip_path, references, word_error_rate, words  # noqa: E402


def reference_text():
    texts = references()
    return " ".join(texts[clip] for clip in CLIPS)


def joined_recording(path):
    """The five clips one after another with a second of silence between: several segments."""
    with wave.open(path, "wb") as out:
        for index, clip in enumerate(CLIPS):
            with wave.open(clip_path(clip), "rb") as part:
                if index == 0:
                    out.setparams(part.getparams())
                else:
                    out.writeframes(b"\0" * part.getsampwidth() * part.getnchannels() * part.getframerate())
                out.writeframes(part.readframes(part.getnframes()))


class Check:
    def __init__(self, driver, shots):
        self.driver = driver
        self.shots = shots

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(self.shots, f"{name}.png"))

    def wait(self, condition, what, timeout=30):
        try:
            # A page that reloads itself (after an action) leaves stale elements behind for a moment.
            ignored = [StaleElementReferenceException, NoSuchElementException]
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=ignored).until(condition)
        except TimeoutException:
            self.shot(f"failed-{re.sub(r'[^a-z0-9]+', '-', what.lower())}")
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}") from None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--earshot", required=True, help="the earshot binary to serve with")
    parser.add_argument("--out", default="test-output/browser", help="where screenshots go")
    arguments = parser.parse_args()

    shots = os.path.abspath(arguments.out)
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    work = tempfile.mkdtemp(prefix="earshot-ui-")
    recording = os.path.join(work, "austen-reading.wav")
    joined_recording(recording)
    chat = start_chat_stand_in()
    config = os.path.join(work, "earshot.yaml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write("stream_file_sources: true\nlive_reprocess_model: ''\nplugins:\n"
                     f"  - type: llm-suggestions\n    url: http://127.0.0.1:{chat.server_port}/v1\n    model: stand-in\n")
    server = EarshotServer(arguments.earshot, os.path.join(work, "data"), os.path.join(shots, "server.log"),
                           ["--workers", "1", "--config", config])
    base = server.base
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"]:
        options.add_argument(flag)
    # The console log shows whether the Content-Security-Policy blocked anything the UI needs.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = None
    try:
        server.wait_until_ready()
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        run(driver, Check(driver, shots), base, recording)
        run_live(driver, Check(driver, shots), base, arguments.earshot)
        run_accounts(driver, Check(driver, shots), arguments.earshot, work, recording, shots)
        blocked = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        assert not blocked, f"the Content-Security-Policy blocked parts of the UI: {blocked[:5]}"
        print(f"browser test passed; screenshots in {shots}")
    finally:
        if driver:
            driver.quit()
        server.stop()
        chat.shutdown()
        shutil.rmtree(work, ignore_errors=True)


def run(driver, check, base, recording):
    reference = reference_text()

    # The dashboard is opened first and stays open; a marker proves it is never reloaded.
    driver.get(f"{base}/")
    check.wait(lambda d: "Live" in d.find_element(By.ID, "live-status").text, "the dashboard's live connection")
    driver.execute_script("""
        window.__notReloaded = true;
        window.__seen = [];
        new MutationObserver(() => {
          for (const item of document.querySelectorAll('#running li[data-job]')) window.__seen.push('running:' + item.dataset.job);
          for (const badge of document.querySelectorAll('#recent li[data-job] [data-state]')) {
            window.__seen.push(badge.textContent + ':' + badge.closest('li').dataset.job);
          }
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
    """)
    check.shot("01-dashboard-idle")
    dashboard = driver.current_window_handle

    # Upload on /jobs in a second tab, with the file picker.
    driver.switch_to.new_window("tab")
    driver.get(f"{base}/jobs")
    driver.find_element(By.ID, "files").send_keys(recording)
    link = check.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#uploads a[href^='/jobs/']")), "the upload to be queued")
    job_id = link.get_attribute("href").rsplit("/", 1)[1]
    check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#jobs tr[data-job='{job_id}']"), "the new job in the list")
    check.shot("02-jobs-uploaded")

    # Back on the dashboard: the job was shown running, then succeeded, without a reload.
    driver.switch_to.window(dashboard)
    check.wait(
        lambda d: d.execute_script(
            "const b = document.querySelector(`#recent li[data-job='%s'] [data-state]`); return b && b.textContent" % job_id
        ) == "succeeded",
        "the dashboard to show the job succeeded", timeout=180,
    )
    seen = driver.execute_script("return window.__notReloaded === true ? window.__seen : null")
    assert seen is not None, "the dashboard was reloaded"
    assert f"running:{job_id}" in seen, f"the dashboard never showed the job running: {seen[:20]}"
    check.wait(lambda d: d.find_element(By.CSS_SELECTOR, "[data-count='succeeded']").text == "1", "the succeeded count to reach 1")
    check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#throughput svg rect"), "the throughput chart")
    check.shot("03-dashboard-succeeded")

    # The job page: attempts and events.
    driver.get(f"{base}/jobs/{job_id}")
    events = driver.find_element(By.CSS_SELECTOR, ".events").text
    assert "job.succeeded" in events and "job.claimed" in events, events
    check.shot("04-job-detail")

    # The transcript: words against the reference.
    driver.get(f"{base}/transcripts/{job_id}")
    segments = driver.find_elements(By.CSS_SELECTOR, "li.segment")
    assert len(segments) >= 2, f"expected several segments, got {len(segments)}"
    text = " ".join(segment.find_element(By.CSS_SELECTOR, "[data-text]").text for segment in segments)
    wer = word_error_rate(reference, text)
    assert wer <= 0.15, f"WER {wer:.2%}: {text}"
    for fmt in ["json", "srt", "vtt", "txt", "md"]:
        assert driver.find_elements(By.CSS_SELECTOR, f".downloads a[href*='format={fmt}']"), f"no {fmt} download"
    check.shot("05-transcript")

    # Clicking a segment's time moves the audio there and highlights that segment.
    target = segments[2]
    start = float(target.get_attribute("data-start"))
    index = target.get_attribute("data-index")
    check.wait(lambda d: d.execute_script("return document.getElementById('audio').readyState") >= 1, "the audio to load")
    target.find_element(By.CSS_SELECTOR, "button.time").click()
    check.wait(
        lambda d: abs(d.execute_script("return document.getElementById('audio').currentTime") - start) < 1.5,
        "the audio position to move to the clicked segment",
    )
    check.wait(lambda d: "current" in target.get_attribute("class"), "the clicked segment to be highlighted")
    driver.execute_script("document.getElementById('audio').pause()")
    check.shot("06-transcript-seeked")

    # Search a word of that segment and land on it.
    word = max(words(target.find_element(By.CSS_SELECTOR, "[data-text]").text), key=len)
    driver.get(f"{base}/search")
    box = driver.find_element(By.CSS_SELECTOR, "main input[name='q']")
    box.send_keys(word)
    box.submit()
    hit = check.wait(
        EC.presence_of_element_located((By.CSS_SELECTOR, f"#hits a.hit-link[href$='#seg-{index}']")), f"a hit for '{word}' in segment {index}"
    )
    marked = [mark.text.lower() for mark in driver.find_elements(By.CSS_SELECTOR, "#hits mark")]
    assert word in marked, f"'{word}' is not highlighted: {marked}"
    check.shot("07-search")
    hit.click()
    check.wait(lambda d: d.current_url.endswith(f"#seg-{index}"), "the transcript at the hit's segment")
    check.wait(
        lambda d: abs(d.execute_script("return document.getElementById('audio').currentTime") - start) < 1.5,
        "the audio positioned at the hit",
    )

    # Edit that segment: the new text shows, marked as edited with the original kept.
    segment = driver.find_element(By.ID, f"seg-{index}")
    original = segment.find_element(By.CSS_SELECTOR, "[data-text]").text
    segment.find_element(By.CSS_SELECTOR, "[data-edit]").click()
    area = segment.find_element(By.TAG_NAME, "textarea")
    area.clear()
    area.send_keys("Corrected by a person <script>window.__xss = 1</script>")
    segment.find_element(By.XPATH, ".//button[text()='Save']").click()
    check.wait(lambda d: segment.find_element(By.CSS_SELECTOR, "[data-revision]").is_displayed(), "the revision to show")
    check.shot("08-transcript-edited")
    driver.refresh()
    segment = driver.find_element(By.ID, f"seg-{index}")
    assert segment.find_element(By.CSS_SELECTOR, "[data-text]").text == "Corrected by a person <script>window.__xss = 1</script>"
    assert segment.find_element(By.CSS_SELECTOR, "[data-original]").text == original.strip()
    assert driver.execute_script("return window.__xss") is None, "an edit ran as script"
    with urllib.request.urlopen(f"{base}/api/v1/transcripts/{job_id}/segments/{index}") as response:
        revised = json.load(response)
    assert [r["source"] for r in revised["revisions"]] == ["human"], revised
    check.shot("09-transcript-after-reload")

    # The other pages render and say what they should.
    driver.get(f"{base}/nodes")
    driver.find_element(By.CSS_SELECTOR, "#add-node input[name='name']").send_keys("gpu-box")
    driver.find_element(By.CSS_SELECTOR, "#add-node button[type='submit']").click()
    check.wait(lambda d: len(d.find_element(By.ID, "key-text").text) > 20, "the new node's key, shown once")
    check.wait(lambda d: "gpu-box" in d.find_element(By.TAG_NAME, "body").text, "a toast naming the new node")
    check.shot("10-nodes")
    driver.get(f"{base}/settings")
    assert "tiny.en" in driver.find_element(By.TAG_NAME, "main").text
    check.shot("11-settings")
    # Dark mode follows the OS preference.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    driver.get(f"{base}/transcripts/{job_id}")
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    channels = [int(value) for value in re.findall(r"\d+", background)[:3]]
    assert sum(channels) < 150, f"the page is not dark when the OS asks for dark: {background}"
    check.shot("12-transcript-dark")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})

    # Keyboard only: Tab reaches a segment's time button, Enter plays from there.
    driver.get(f"{base}/transcripts/{job_id}")
    check.wait(lambda d: d.execute_script("return document.getElementById('audio').readyState") >= 1, "the audio to load")
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(40):
        body = driver.switch_to.active_element
        if body.get_attribute("data-seek") == segments_start(driver, 1):
            break
        body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("data-seek") == segments_start(driver, 1), "Tab never reached segment 2"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    second = float(segments_start(driver, 1))
    check.wait(lambda d: abs(d.execute_script("return document.getElementById('audio').currentTime") - second) < 1.5,
               "Enter on a segment's time to move the audio")
    driver.execute_script("document.getElementById('audio').pause()")

    driver.set_window_size(390, 844)
    driver.get(f"{base}/transcripts/{job_id}")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the transcript page scrolls sideways on a phone ({width} px)"
    check.shot("13-transcript-phone")


def run_accounts(driver, check, earshot, work, recording, shots):
    server = EarshotServer(
        earshot, os.path.join(work, "accounts-data"), os.path.join(shots, "accounts-server.log"), ["--workers", "0"],
        env={"EARSHOT_ADMIN_PASSWORD": "admin passphrase 1", "EARSHOT_PASSWORD_HASH_COST": "4"},
    )
    try:
        server.wait_until_ready()
        base = server.base
        driver.delete_all_cookies()
        driver.get(f"{base}/jobs")
        check.wait(lambda d: "/login?next=%2Fjobs" in d.current_url, "a page without a session to send the browser to /login")
        check.shot("20-login")

        def sign_in(password, username="admin"):
            for field, value in [("username", username), ("password", password)]:
                box = driver.find_element(By.ID, field)
                box.clear()
                box.send_keys(value)
            driver.find_element(By.CSS_SELECTOR, "#sign-in button[type='submit']").click()

        sign_in("not the passphrase")
        check.wait(lambda d: "wrong username or password" in d.find_element(By.ID, "sign-in-error").text, "the refusal in words")
        sign_in("admin passphrase 1")
        check.wait(lambda d: d.current_url == f"{base}/jobs", "signing in to return to /jobs")
        check.wait(lambda d: "admin" in d.find_element(By.CSS_SELECTOR, "header .account").text, "the header to name the user")
        cookie = next(c for c in driver.get_cookies() if c["name"] == "earshot_session")
        assert cookie["httpOnly"] and cookie.get("sameSite") == "Strict", f"session cookie flags: {cookie}"

        # An upload (XMLHttpRequest) and a cancel (fetch) both pass the CSRF check.
        driver.find_element(By.ID, "files").send_keys(recording)
        link = check.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#uploads a[href^='/jobs/']")), "the upload to be queued")
        job_id = link.get_attribute("href").rsplit("/", 1)[1]
        row = check.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"#jobs tr[data-job='{job_id}']"), "the new job in the list")
        row.find_element(By.CSS_SELECTOR, "[data-action='cancel']").click()
        check.wait(
            lambda d: d.find_element(By.CSS_SELECTOR, f"#jobs tr[data-job='{job_id}'] [data-state]").text == "cancelled",
            "the job to be cancelled",
        )
        check.shot("21-signed-in-jobs")

        # The admin adds a member on /users and shares the job with her on the job's page.
        driver.get(f"{base}/users")
        form = check.wait(EC.presence_of_element_located((By.ID, "add-user")), "the users page")
        form.find_element(By.NAME, "username").send_keys("kim")
        form.find_element(By.NAME, "password").send_keys("kim passphrase 1")
        form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#users tr[data-name='kim']"), "kim in the list of users")
        role = Select(driver.find_element(By.CSS_SELECTOR, "#users tr[data-name='kim'] select[data-role]"))
        assert role.first_selected_option.get_attribute("value") == "member", "a new user is a member unless chosen"
        check.shot("22-users")
        driver.get(f"{base}/jobs/{job_id}")
        share = check.wait(EC.presence_of_element_located((By.ID, "share-form")), "the sharing form on the job's page")
        share.find_element(By.NAME, "username").send_keys("kim")
        share.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#shares tr[data-username='kim']"), "the job shared with kim")
        check.shot("23-shared")

        driver.find_element(By.ID, "sign-out").click()
        check.wait(lambda d: d.current_url.startswith(f"{base}/login"), "signing out to land on /login")
        driver.get(f"{base}/")
        check.wait(lambda d: "/login" in d.current_url, "the ended session to count for nothing")

        # Kim sees the shared job, has no admin pages, makes and revokes a key, changes her password.
        driver.get(f"{base}/login?next=%2Fjobs")
        sign_in("kim passphrase 1", username="kim")
        check.wait(lambda d: d.current_url == f"{base}/jobs", "kim signed in")
        check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#jobs tr[data-job='{job_id}']"), "the shared job in kim's list")
        nav = driver.find_element(By.CSS_SELECTOR, "header nav").text
        assert "Users" not in nav and "Settings" not in nav, f"a member's navigation: {nav}"
        driver.find_element(By.CSS_SELECTOR, "header .account a[href='/account']").click()
        key_form = check.wait(EC.presence_of_element_located((By.ID, "new-key-form")), "kim's account page")
        boxes = [box.get_attribute("value") for box in key_form.find_elements(By.NAME, "scopes")]
        assert boxes == ["jobs:read", "jobs:write"], f"a member is offered her role's scopes only: {boxes}"
        key_form.find_element(By.NAME, "name").send_keys("laptop")
        key_form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        secret = check.wait(lambda d: d.find_element(By.ID, "key-text").text, "the new key, shown once")
        assert re.fullmatch(r"esu_[0-9a-f]{64}", secret), f"the key shown: {secret!r}"
        request = urllib.request.Request(f"{base}/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {secret}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.load(answer)["id"] == job_id, "the key reads the shared job"
        check.shot("24-account-key")
        driver.find_element(By.CSS_SELECTOR, "#keys tr[data-name='laptop'] [data-action='revoke']").click()
        driver.switch_to.alert.accept()
        check.wait(lambda d: "revoked" in d.find_element(By.CSS_SELECTOR, "#keys tr[data-name='laptop']").text, "the key revoked")
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("a revoked key still worked")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401, f"a revoked key answers {refused.code}"

        password = driver.find_element(By.ID, "change-password")
        password.find_element(By.NAME, "current_password").send_keys("wrong passphrase")
        password.find_element(By.NAME, "new_password").send_keys("kim passphrase 2")
        password.find_element(By.NAME, "repeat").send_keys("kim passphrase 2")
        password.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        check.wait(lambda d: "not right" in d.find_element(By.ID, "password-error").text, "a wrong current password refused in words")
        current = driver.find_element(By.CSS_SELECTOR, "#change-password [name='current_password']")
        current.clear()
        current.send_keys("kim passphrase 1")
        driver.find_element(By.CSS_SELECTOR, "#change-password button[type='submit']").click()
        check.wait(lambda d: d.current_url == f"{base}/account?changed=1", "the password changed, the page back with a new session")
        check.wait(lambda d: d.find_elements(By.ID, "new-key-form"), "still signed in after the change")
        check.shot("25-password-changed")
        driver.find_element(By.ID, "sign-out").click()
        check.wait(lambda d: d.current_url.startswith(f"{base}/login"), "kim signed out")
        sign_in("kim passphrase 1", username="kim")
        check.wait(lambda d: "wrong username or password" in d.find_element(By.ID, "sign-in-error").text, "the old password refused")
        sign_in("kim passphrase 2", username="kim")
        check.wait(lambda d: d.current_url == f"{base}/", "the new password accepted")
    finally:
        server.stop()


def start_chat_stand_in():
    """A stand-in for an OpenAI-compatible chat API (no LLM runs here): its "correction" shouts
    the first word and appends "indeed.", so every suggestion has exactly two changes."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            utterance = body["messages"][-1]["content"].split("Utterance to correct:\n")[-1].split()
            corrected = " ".join([utterance[0].upper()] + utterance[1:] + ["indeed."])
            answer = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": corrected}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *arguments):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_live(driver, check, base, earshot):
    driver.set_window_size(1280, 1000)
    driver.get(f"{base}/live")
    check.wait(lambda d: "Live" in d.find_element(By.ID, "live-status").text, "the live page's event connection")
    # A reading played in real time through `earshot listen`; the page shows its draft arrive.
    listen = subprocess.run(
        [earshot, "listen", "--server", base, "--device", clip_path("0880"), "--language", "en", "--session-id", "browser-mic"],
        capture_output=True, text=True, timeout=120,
    )
    assert listen.returncode == 0, f"earshot listen failed: {listen.stderr}"
    check.wait(lambda d: "young man" in d.find_element(By.ID, "drafts").text, "the draft's text on /live, without a reload")
    check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#drafts [data-suggested]"), "the LLM's suggestion marked on the draft")
    check.shot("14-live")
    text = driver.find_element(By.CSS_SELECTOR, "#drafts a[data-text]").text
    driver.find_element(By.CSS_SELECTOR, "#drafts a[data-text]").click()
    check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-suggestion] input[data-change]"), "the suggestion on the draft page")
    check.wait(lambda d: d.execute_script("return document.getElementById('audio').readyState") >= 1, "the utterance's audio to load")
    boxes = driver.find_elements(By.CSS_SELECTOR, "[data-suggestion] input[data-change]")
    assert len(boxes) == 2, f"expected two suggested changes, got {len(boxes)}"
    check.shot("15-draft-suggestion")
    boxes[1].click()  # keep the first change only
    driver.find_element(By.CSS_SELECTOR, "[data-suggestion] button[data-action='apply']").click()
    first = text.split()[0]
    expected = " ".join([first.upper()] + text.split()[1:])
    check.wait(lambda d: d.find_element(By.ID, "shown-text").text == expected, "the chosen change applied, the other not")
    sources = [item.get_attribute("data-source") for item in driver.find_elements(By.CSS_SELECTOR, "#revisions li")]
    assert sources == ["human"], f"a selection is the person's own revision: {sources}"
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-suggestion]"), "the decided suggestion no longer asks"
    editor = driver.find_element(By.ID, "edit-text")
    editor.clear()
    editor.send_keys("He was not an ill-disposed young man.")
    driver.find_element(By.CSS_SELECTOR, "#edit-draft button[type='submit']").click()
    check.wait(lambda d: d.find_element(By.ID, "shown-text").text == "He was not an ill-disposed young man.", "the hand correction shown")
    check.shot("16-draft-corrected")

    # A stream source: a file played in real time (file URLs are enabled for this test).
    driver.get(f"{base}/live")
    driver.find_element(By.CSS_SELECTOR, "#add-stream input[name='name']").send_keys("radio")
    driver.find_element(By.CSS_SELECTOR, "#add-stream input[name='url']").send_keys("file://" + clip_path("0930"))
    driver.find_element(By.CSS_SELECTOR, "#add-stream input[name='diarize']").click()
    driver.find_element(By.CSS_SELECTOR, "#add-stream button[type='submit']").click()
    check.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#streams tr[data-name='radio']"), "the new stream listed")
    check.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#streams tr[data-name='radio'] [data-state]").text == "running",
               "the stream seen running", timeout=60)
    check.shot("17-stream-running")
    check.wait(lambda d: "amiable" in d.find_element(By.ID, "drafts").text, "the stream's words as a draft", timeout=60)
    check.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#streams tr[data-name='radio']").text.find("speakers") >= 0,
               "the stream marked as labelling speakers")
    check.wait(lambda d: any(cell.text == "Speaker 1" for cell in d.find_elements(By.CSS_SELECTOR, "#drafts td[data-speaker]")),
               "the stream's draft labelled with its speaker, without a reload")
    driver.find_element(By.CSS_SELECTOR, "#streams tr[data-name='radio'] button[data-action='stop']").click()
    check.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#streams tr[data-name='radio'] [data-state]").text == "stopped", "the stream stopped")
    check.shot("18-stream-stopped")


def segments_start(driver, index):
    return driver.find_elements(By.CSS_SELECTOR, "li.segment button.time")[index].get_attribute("data-seek")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"browser test FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
