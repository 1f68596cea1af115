#!/usr/bin/env python3
"""Opens Enricher's status page in headless Chromium, starts a job and checks, from the page's DOM,
what an operator would see: the key entered in the page's own form is accepted, the job's progress
moves to the end, a cover thumbnail loads, no request leaves the service's origin, nothing breaks the
Content-Security-Policy, and the page fits a 360 px phone screen without scrolling sideways.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: fds 3 and 4, each
message JSON ended by a NUL byte), so nothing but the Python standard library is needed.

Exit status 0 when every check passes; otherwise 1, with what failed on stderr. A JSON report of what
was seen goes to stdout and beside the screenshot (`...-report.json`) either way.
"""
import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


class Failure(Exception):
    pass


class DevTools:
    """One Chromium, one page, commands and events over the pipe."""

    def __init__(self, chromium, user_data_dir):
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def wire_pipes():
            # Chromium reads commands on fd 3 and writes answers on fd 4.
            read_end, write_end = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", f"--user-data-dir={user_data_dir}", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
             "--hide-scrollbars", "--lang=en-GB", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(3, 4), preexec_fn=wire_pipes, close_fds=True)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None
        # Called with each request the Fetch domain paused (see --no-event-stream).
        self.paused = None

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.to_browser, self.from_browser):
            try:
                os.close(fd)
            except OSError:
                pass

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failure("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                stderr = self.process.stderr.read().decode(errors="replace") if self.process.poll() is not None else ""
                raise Failure(f"Chromium closed the DevTools pipe (exit {self.process.poll()}): {stderr[-2000:]}")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def post(self, method, params=None, session=True):
        """Sends a command; returns its id without waiting for the answer."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.next_id

    def send(self, method, params=None, session=True, timeout=30):
        sent = self.post(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == sent:
                if "error" in reply:
                    raise Failure(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._event(reply)

    def _event(self, event):
        self.events.append(event)
        if event["method"] == "Fetch.requestPaused" and self.paused:
            self.paused(self, event["params"])

    def drain_events(self):
        """Events that arrived while no command was waiting."""
        while True:
            ready, _, _ = select.select([self.from_browser], [], [], 0)
            if not ready and b"\0" not in self.buffer:
                return
            message = self._read_message(time.monotonic() + 1)
            if "method" in message:
                self._event(message)

    def attach_to_page(self):
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}, session=False)["sessionId"]

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise Failure(f"page script failed: {result['exceptionDetails'].get('text')} in {expression[:80]}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout, interval=0.1):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise Failure(f"timed out after {timeout} s waiting for {what}")
            time.sleep(interval)

    def screenshot(self, path, width, mobile=False):
        height = 800
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        full = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": min(max(full, height), 8000), "deviceScaleFactor": 1, "mobile": mobile})
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))


# What a screen reader or keyboard user needs from the markup, as it stands with data in it.
ACCESSIBILITY = """(() => {
  const problems = [];
  const named = (el) => (el.labels && [...el.labels].some(l => l.textContent.trim())) || el.getAttribute('aria-label')
    || (el.tagName === 'BUTTON' && el.textContent.trim());
  for (const el of document.querySelectorAll('input, select, button, progress')) {
    if (!named(el)) problems.push(`unnamed ${el.tagName.toLowerCase()} #${el.id}`);
  }
  for (const table of document.querySelectorAll('table')) {
    if (!table.caption || !table.caption.textContent.trim()) problems.push(`table #${table.id} has no caption`);
    if (table.querySelector('thead th:not([scope])')) problems.push(`table #${table.id} has a header cell without scope`);
  }
  for (const img of document.querySelectorAll('img')) if (!img.alt.trim()) problems.push(`image ${img.src} has no alt text`);
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  for (const section of document.querySelectorAll('main section')) {
    if (!section.querySelector('h2')) problems.push('a section without a heading');
  }
  for (const landmark of ['header', 'main', 'footer']) if (!document.querySelector(landmark)) problems.push(`no ${landmark}`);
  if (!document.querySelector('[aria-live="polite"]#progress-announcer')) problems.push('no live region for progress');
  if (document.documentElement.lang !== 'en') problems.push('no document language');
  return problems;
})()"""


def start_job(origin, key, body):
    """POST /v1/enrichments, as the catalog would; returns the job's id."""
    request = urllib.request.Request(f"{origin}/v1/enrichments", data=body.encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["id"]
    except urllib.error.HTTPError as error:
        raise Failure(f"POST /v1/enrichments answered {error.code}: {error.read().decode(errors='replace')}")


def press(browser, key):
    """One key pressed and released, as a keyboard sends it."""
    codes = {"Enter": ("Enter", 13, "\r"), " ": ("Space", 32, " ")}
    code, virtual, text = codes[key]
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": virtual, "text": text})
    browser.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": virtual})


PROGRESS = """(() => {
  const row = document.querySelector('tr[data-job-id="%s"]');
  if (!row) return null;
  const bar = row.querySelector('progress');
  return {status: row.getAttribute('data-status'), finished: Number(bar.getAttribute('data-finished')),
          value: bar.value, max: bar.max, text: row.querySelector('.progress-text').textContent};
})()"""

CATALOG_FOUND = """(() => {
  const table = document.getElementById('counts');
  const column = [...table.tHead.rows[0].cells].findIndex(c => c.textContent.trim() === 'found');
  const all = [...table.tBodies[0].rows].find(r => r.cells[0].textContent.trim() === 'all');
  return all && column > 0 && all.cells[column].textContent.trim() === String(%d) ? all.cells[column].textContent.trim() : null;
})()"""

THUMBNAIL = """(() => {
  const loaded = [...document.querySelectorAll('#covers img')].filter(i => i.complete && i.naturalWidth > 0);
  return loaded.length ? {count: loaded.length, src: loaded[0].getAttribute('src'), naturalWidth: loaded[0].naturalWidth,
                          alt: loaded[0].alt} : null;
})()"""


def run(arguments, report):
    origin = arguments.url.split("/", 3)
    origin = f"{origin[0]}//{origin[2]}"
    user_data_dir = tempfile.mkdtemp(prefix="enricher-chromium-")
    browser = DevTools(arguments.chromium, user_data_dir)
    try:
        browser.attach_to_page()
        for domain in ("Page", "Network", "Runtime", "Log"):
            browser.send(f"{domain}.enable")
        # Recorded from the first byte of the document on: violations of the page's CSP.
        browser.send("Page.addScriptToEvaluateOnNewDocument", {"source":
            "window.__violations = []; document.addEventListener('securitypolicyviolation',"
            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"})
        if arguments.no_event_stream:
            # As a service without event streams answers: 404 problem+json. The page must poll instead.
            problem = json.dumps({"type": "urn:enricher:problem:not-found", "title": "Not found", "status": 404, "detail": "no such resource"})
            def refuse_streams(devtools, request):
                report["streams_refused"] = report.get("streams_refused", 0) + 1
                devtools.post("Fetch.fulfillRequest", {"requestId": request["requestId"], "responseCode": 404,
                    "responseHeaders": [{"name": "Content-Type", "value": "application/problem+json"}],
                    "body": base64.b64encode(problem.encode()).decode()})
            browser.paused = refuse_streams
            browser.send("Fetch.enable", {"patterns": [{"urlPattern": "*/events*"}]})
        elif arguments.drop_stream_once:
            # The first stream delivers one event (cursor 1) and ends before the job did, as a dropped
            # connection does: the page must reconnect, sending that cursor as Last-Event-ID.
            def drop_first_stream(devtools, request):
                report["streams_seen"] = report.get("streams_seen", 0) + 1
                if report["streams_seen"] == 1:
                    body = "id: 1\nevent: enrichment.entity.completed\ndata: {}\n\n"
                    devtools.post("Fetch.fulfillRequest", {"requestId": request["requestId"], "responseCode": 200,
                        "responseHeaders": [{"name": "Content-Type", "value": "text/event-stream"}],
                        "body": base64.b64encode(body.encode()).decode()})
                    return
                if report["streams_seen"] == 2:
                    headers = {name.lower(): value for name, value in request["request"]["headers"].items()}
                    report["resumed_with"] = headers.get("last-event-id")
                devtools.post("Fetch.continueRequest", {"requestId": request["requestId"]})
            browser.paused = drop_first_stream
            browser.send("Fetch.enable", {"patterns": [{"urlPattern": "*/events*"}]})
        browser.send("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        browser.send("Page.navigate", {"url": arguments.url})
        browser.wait_for("document.readyState === 'complete' && !!document.getElementById('api-key')", "the page to load", 20)

        # A wrong key first: refused with the service's reason, and not kept.
        browser.evaluate("document.getElementById('api-key').focus()")
        browser.send("Input.insertText", {"text": "not-the-key-" + "x" * 20})
        press(browser, "Enter")
        report["wrong_key_error"] = browser.wait_for("document.getElementById('key-error').textContent", "the page to refuse a wrong key", 15)
        if "not valid" not in report["wrong_key_error"] or browser.evaluate("sessionStorage.length"):
            raise Failure(f"a wrong key was not refused with the service's detail, or was kept: {report['wrong_key_error']}")

        # The key, typed into the page's own form and sent with Enter, as an operator would.
        browser.evaluate("document.getElementById('api-key').focus()")
        browser.send("Input.insertText", {"text": arguments.key})
        press(browser, "Enter")
        browser.wait_for("!document.getElementById('main').hidden", "the page to accept the key", 15)
        report["stored_in_session_storage"] = browser.evaluate("sessionStorage.getItem('enricher.apiKey') !== null")
        report["stored_in_local_storage"] = browser.evaluate("localStorage.length")

        # The job starts only now that the page watches (so a slow browser start cannot miss it); the
        # operator asks the page to refresh (Refresh now, with the keyboard) and the job shows up.
        job = start_job(origin, arguments.key, arguments.start)
        report["job"] = job
        browser.evaluate("document.getElementById('refresh').focus()")
        press(browser, "Enter")

        # Progress: a value short of the end, then a larger one, then the job completed at 100 %.
        seen = []
        deadline = time.monotonic() + arguments.timeout
        while time.monotonic() < deadline:
            state = browser.evaluate(PROGRESS % job)
            if state and (not seen or seen[-1] != (state["finished"], state["status"])):
                seen.append((state["finished"], state["status"]))
                report.setdefault("progress", []).append(state)
            if state and state["status"] == "completed":
                break
            time.sleep(0.05)
        values = [finished for finished, _ in seen]
        if not seen:
            raise Failure(f"the page never showed job {job}")
        last = report["progress"][-1]
        if last["status"] != "completed" or last["finished"] != last["max"] or "(100%)" not in last["text"]:
            raise Failure(f"the job did not reach completed at 100 % on the page: {last}")
        running = [finished for finished, status in seen if status == "running" and finished < last["max"]]
        if not running or not any(later > running[0] for later in values[values.index(running[0]) + 1:]):
            raise Failure(f"the page never showed the progress move while the job ran: {seen}")
        if values != sorted(values):
            raise Failure(f"the progress went backwards: {values}")

        # The catalog counts catch up with the finished job (the page reads the summary again).
        report["catalog_found"] = browser.wait_for(CATALOG_FOUND % arguments.found, f"the catalog to count {arguments.found} found", 20)
        report["thumbnail"] = browser.wait_for(THUMBNAIL, "a cover thumbnail to load", 20)
        if not report["thumbnail"]["src"].startswith("/v1/images/"):
            raise Failure(f"the thumbnail does not come from /v1/images: {report['thumbnail']}")
        browser.drain_events()
        report["event_stream_requests"] = sum(1 for e in browser.events if e["method"] == "Network.requestWillBeSent"
                                              and e["params"]["request"]["url"].endswith("/events"))
        report["job_polls"] = sum(1 for e in browser.events if e["method"] == "Network.requestWillBeSent"
                                  and f"/v1/enrichments/{job}?" in e["params"]["request"]["url"])
        if arguments.no_event_stream and not (report.get("streams_refused") and report["job_polls"] >= 2):
            raise Failure(f"with the stream refused, the page did not fall back to polling the job: {report}")
        if arguments.drop_stream_once and report.get("resumed_with") != "1":
            raise Failure(f"after the dropped stream the page did not resume with Last-Event-ID 1: {report.get('resumed_with')!r}")
        # Over the stream, the job is read once more at its end, and not polled.
        if not arguments.no_event_stream and not (report["event_stream_requests"] >= 1 and report["job_polls"] <= 2):
            raise Failure(f"the page did not follow the job over its event stream: {report['event_stream_requests']} stream"
                          f" requests, {report['job_polls']} reads of the job")
        report["announced"] = browser.evaluate("document.getElementById('progress-announcer').textContent")

        # The re-run form with the keyboard: tick movies and failed with Space, count with Enter. The job's
        # two movies no provider had a cover for are what the service counts, shown where the form is.
        for box in ("rerun-mediaTypes-movies", "rerun-statuses-failed"):
            browser.evaluate(f"document.getElementById('{box}').focus()")
            press(browser, " ")
        if not browser.evaluate("document.getElementById('rerun-mediaTypes-movies').checked && document.getElementById('rerun-statuses-failed').checked"):
            raise Failure("Space did not tick the re-run form's checkboxes")
        browser.evaluate("document.querySelector('#rerun-form button[value=\"dry-run\"]').focus()")
        press(browser, "Enter")
        report["dry_run"] = browser.wait_for(
            "(() => { const r = document.getElementById('rerun-result').textContent, e = document.getElementById('rerun-error').textContent;"
            " return (e || (r && !r.endsWith('…'))) ? {result: r, error: e} : null; })()", "the dry run's answer", 15)
        if report["dry_run"]["error"] or not report["dry_run"]["result"].startswith("2 entities match"):
            raise Failure(f"the dry run did not count the two failed movies: {report['dry_run']}")

        browser.screenshot(arguments.screenshot, 1100)
        phone = arguments.screenshot.replace(".png", "-phone.png")
        browser.screenshot(phone, 360, mobile=True)
        report["phone_scroll_width"] = browser.evaluate("document.documentElement.scrollWidth")
        report["phone_inner_width"] = browser.evaluate("window.innerWidth")
        if report["phone_scroll_width"] > 360:
            raise Failure(f"at 360 px the page is {report['phone_scroll_width']} px wide: it scrolls sideways")

        report["accessibility_problems"] = browser.evaluate(ACCESSIBILITY)
        if report["accessibility_problems"]:
            raise Failure(f"accessibility: {report['accessibility_problems'][:10]}")
        report["csp_violations"] = browser.evaluate("window.__violations")
        browser.drain_events()
        requests = [e["params"]["request"]["url"] for e in browser.events if e["method"] == "Network.requestWillBeSent"]
        report["requests"] = len(requests)
        report["request_origins"] = sorted({u.split("/", 3)[0] + "//" + u.split("/", 3)[2] if "//" in u else u.split(":", 1)[0] for u in requests})
        # data: URLs are made in the browser (Chromium's own form control icons): they go nowhere.
        elsewhere = [u for u in requests if not u.startswith(origin + "/") and not u.startswith("data:")]
        exceptions = [e["params"]["exceptionDetails"].get("exception", {}).get("description") or e["params"]["exceptionDetails"].get("text")
                      for e in browser.events if e["method"] == "Runtime.exceptionThrown"]
        logged = [e["params"]["entry"] for e in browser.events if e["method"] == "Log.entryAdded"]
        report["console_errors"] = [f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}" for entry in logged
                                    if entry.get("level") == "error" and "/events" not in entry.get("url", "")]
        if elsewhere:
            raise Failure(f"the page made requests outside {origin}: {elsewhere[:5]}")
        if report["csp_violations"]:
            raise Failure(f"the page broke its Content-Security-Policy: {report['csp_violations']}")
        if exceptions:
            raise Failure(f"the page's script threw: {exceptions[:3]}")
        if not report["stored_in_session_storage"] or report["stored_in_local_storage"]:
            raise Failure("the key must be kept in sessionStorage only")
    finally:
        browser.close()
        shutil.rmtree(user_data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the status page, e.g. http://127.0.0.1:8080/ui")
    parser.add_argument("--key", required=True)
    parser.add_argument("--start", required=True,
                        help="the POST /v1/enrichments body (JSON) of the job to start once the page watches")
    parser.add_argument("--screenshot", required=True, help="where the PNG goes (a -phone.png beside it)")
    parser.add_argument("--found", type=int, required=True, help="how many entities the catalog counts as found once the job is done")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--no-event-stream", action="store_true",
                        help="answer the page's event-stream requests 404, as a service without them: it must poll")
    parser.add_argument("--drop-stream-once", action="store_true",
                        help="end the first event stream early after one event: the page must resume with Last-Event-ID")
    arguments = parser.parse_args()
    report = {}
    status = 0
    os.makedirs(os.path.dirname(os.path.abspath(arguments.screenshot)), exist_ok=True)
    try:
        run(arguments, report)
    except Failure as failure:
        report["failure"] = str(failure)
        print(f"status page check failed: {failure}", file=sys.stderr)
        status = 1
    text = json.dumps(report, indent=1, default=str)
    print(text)
    # Kept beside the screenshot, for a look at what the page showed.
    with open(arguments.screenshot.replace(".png", "-report.json"), "w") as file:
        file.write(text + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
