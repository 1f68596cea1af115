extension StatusPage {
    /// The page's behaviour: asks for the key once (kept in `sessionStorage`, this tab only), loads the
    /// providers, jobs and catalog summary, follows running jobs over their event streams (read with
    /// `fetch`, since `EventSource` cannot send a key; polling when the service has no stream), and
    /// sends re-run requests. Errors show the problem's `detail`.
    static let script = #"""
"use strict";
(() => {
  const KEY_STORAGE = "enricher.apiKey";
  const MEDIA_TYPES = ["books", "movies", "games", "musics"];
  // The entity statuses a re-run filter can name (POST /v1/enrichments `filter.statuses`).
  const RERUN_STATUSES = ["failed", "missing", "permanent", "found", "present"];
  const MAX_REASON = 200;       // the longest failureReason text a filter searches for
  const STATUS_ORDER = ["missing", "found", "failed", "permanent", "present"];
  const REFRESH_MS = 10000;     // providers, jobs and summary
  const POLL_MS = 1000;         // a running job's progress when the service has no event stream
  const SUMMARY_DELAY_MS = 1500; // after entities finish, the summary (covers, counts) is read again
  const STALL_MS = 45000;       // a stream silent this long (heartbeats come every 15 s) is reopened
  const MAX_STREAMS = 2;        // browsers allow 6 connections per host: leave room for the API calls
  const MAX_LINE = 1 << 20;
  const JOB_LIMIT = 10;

  const $ = (id) => document.getElementById(id);
  let apiKey = sessionStorage.getItem(KEY_STORAGE);
  let generation = 0;           // bumped when the key is forgotten: stale loops stop
  let refreshTimer = 0;
  let summaryTimer = 0;
  let lastAnnouncement = 0;
  let coverIds = "";
  const jobs = new Map();       // id -> the job as last seen
  let jobOrder = [];
  const followed = new Map();   // id -> {abort, done, lastEventId, mode}
  const announced = new Set();  // jobs whose completion was announced

  class ApiError extends Error {
    constructor(status, detail, problem) { super(detail); this.status = status; this.problem = problem; }
  }

  // ---- HTTP ----------------------------------------------------------------------------------
  async function problemOf(response) {
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    let detail = body && typeof body.detail === "string" && body.detail ? body.detail : `${response.status} ${response.statusText}`.trim();
    // Per-field errors the detail does not already spell out are added to it.
    const errors = body && Array.isArray(body.errors) ? body.errors.filter((e) => e && !detail.includes(e.detail || "")) : [];
    if (errors.length) {
      detail += " (" + errors.slice(0, 5).map((e) => `${e.pointer || ""}: ${e.detail || ""}`).join("; ") + ")";
    }
    return new ApiError(response.status, detail, body);
  }

  function authorized(extra) {
    const headers = new Headers(extra || {});
    headers.set("Authorization", "Bearer " + apiKey);
    return headers;
  }

  async function api(path, options) {
    const mine = generation;
    const init = Object.assign({ cache: "no-store" }, options || {});
    init.headers = authorized(Object.assign({ Accept: "application/json" }, init.headers || {}));
    const response = await fetch(path, init);
    if (!response.ok) {
      const error = await problemOf(response);
      if (response.status === 401 && mine === generation) signOut(`The service refused the key: ${error.message}`);
      throw error;
    }
    return response.status === 204 ? null : response.json();
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (signal) signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }

  // ---- DOM helpers ---------------------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("data-") || name.startsWith("aria-") || name === "datetime" || name === "scope") node.setAttribute(name, value);
      else node[name] = value;
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  // Rows for `table`, each cell labelled with its column's heading (shown when the table stacks on phones).
  function fillTable(table, rows) {
    const labels = [...table.tHead.rows[0].cells].map((th) => th.textContent.trim());
    for (const row of rows) labelRow(row, labels);
    table.tBodies[0].replaceChildren(...rows);
  }

  function labelRow(row, labels) {
    [...row.cells].forEach((cell, index) => {
      if (cell.tagName === "TD" && labels[index]) cell.setAttribute("data-label", labels[index]);
    });
  }

  function emptyRow(table, text) {
    return el("tr", {}, el("td", { colSpan: table.tHead.rows[0].cells.length, text }));
  }

  function time(iso) {
    if (!iso) return document.createTextNode("—");
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return document.createTextNode(String(iso));
    return el("time", { datetime: date.toISOString(), text: date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }) });
  }

  function number(value) { return typeof value === "number" ? value.toLocaleString() : "—"; }

  function seconds(value) {
    if (typeof value !== "number") return "";
    return value < 90 ? `${Math.ceil(value)} s` : `${Math.ceil(value / 60)} min`;
  }

  function showError(id, message) { $(id).textContent = message || ""; }

  // ---- Session -------------------------------------------------------------------------------
  async function connect(key) {
    apiKey = key;
    generation += 1;
    showError("key-error", "");
    $("connection").textContent = "Connecting…";
    try {
      await api("/v1/providers");
    } catch (error) {
      $("connection").textContent = "Not connected.";
      showError("key-error", error.message);
      apiKey = null;
      sessionStorage.removeItem(KEY_STORAGE);
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    $("key-form").hidden = true;
    $("session").hidden = false;
    $("main").hidden = false;
    $("connection").textContent = `Connected to ${location.host}.`;
    refreshAll();
  }

  function signOut(message) {
    generation += 1;
    apiKey = null;
    sessionStorage.removeItem(KEY_STORAGE);
    for (const follow of followed.values()) follow.abort.abort();
    followed.clear();
    clearTimeout(refreshTimer);
    clearTimeout(summaryTimer);
    $("main").hidden = true;
    $("session").hidden = true;
    $("key-form").hidden = false;
    $("connection").textContent = "Not connected.";
    showError("key-error", message || "");
    $("api-key").focus();
  }

  // ---- Loading -------------------------------------------------------------------------------
  async function refreshAll() {
    clearTimeout(refreshTimer);
    const mine = generation;
    await Promise.allSettled([loadProviders(), loadJobs(), loadSummary()]);
    if (mine !== generation) return;
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}; refreshed every ${REFRESH_MS / 1000} s.`;
    clearTimeout(refreshTimer); // a refresh asked for meanwhile leaves one timer, not two
    refreshTimer = setTimeout(refreshAll, REFRESH_MS);
  }

  async function loadProviders() {
    try {
      const list = await api("/v1/providers");
      renderProviders(list.providers || []);
      showError("providers-error", "");
    } catch (error) {
      showError("providers-error", `Providers could not be read: ${error.message}`);
    }
  }

  async function loadJobs() {
    try {
      const list = await api(`/v1/enrichments?limit=${JOB_LIMIT}`);
      jobOrder = (list.jobs || []).map((job) => job.id);
      for (const job of list.jobs || []) mergeJob(job);
      // Jobs no longer listed, followed or started here are forgotten: a tab left open stays small.
      for (const id of [...jobs.keys()]) {
        if (!jobOrder.includes(id) && !followed.has(id) && !jobs.get(id).pinned) { jobs.delete(id); announced.delete(id); }
      }
      renderJobs();
      showError("jobs-error", "");
      followRunning();
    } catch (error) {
      showError("jobs-error", `Jobs could not be read: ${error.message}`);
    }
  }

  async function loadSummary() {
    clearTimeout(summaryTimer);
    summaryTimer = 0;
    try {
      const summary = await api("/v1/catalog/summary?covers=12&reasons=10");
      renderCounts(summary.entities || {});
      renderCovers(summary.latestCovers || []);
      renderFailures(summary.failures || {});
      showError("summary-error", "");
    } catch (error) {
      showError("summary-error", `The catalog summary could not be read: ${error.message}`);
    }
  }

  // Entities finished: read the summary again soon (at most once per delay).
  function summarySoon() {
    if (!summaryTimer) summaryTimer = setTimeout(loadSummary, SUMMARY_DELAY_MS);
  }

  // ---- Jobs and live progress ----------------------------------------------------------------
  function finishedOf(job) {
    const counts = job.counts || {};
    return Object.entries(counts).reduce((sum, [name, n]) => (name === "queued" ? sum : sum + (Number(n) || 0)), 0);
  }

  // Keeps the newest of what the list, the stream and polling said (they may arrive out of order).
  function mergeJob(update) {
    const known = jobs.get(update.id);
    if (known && known.status === "completed" && update.status !== "completed") return known;
    if (known && update.status === known.status && finishedOf(update) < finishedOf(known)) return known;
    const merged = Object.assign({}, known || {}, update);
    jobs.set(update.id, merged);
    return merged;
  }

  function percentOf(job) {
    if (typeof job.percent === "number") return job.percent;
    return job.total ? Math.floor((finishedOf(job) * 100) / job.total) : 100;
  }

  function jobRow(job) {
    const finished = finishedOf(job);
    const percent = percentOf(job);
    const progress = el("progress", { max: Math.max(job.total || 0, 1), value: job.total ? finished : 1,
      "aria-label": `Progress of job ${job.id}` });
    progress.setAttribute("data-finished", String(finished));
    const outcomes = Object.entries(job.counts || {}).filter(([name, n]) => n > 0 && name !== "queued")
      .map(([name, n]) => `${name} ${n}`).join(" · ") || "—";
    const row = el("tr", { "data-job-id": job.id, "data-status": job.status || "" },
      el("td", {}, el("span", {}, el("code", { text: job.id }), job.force ? el("span", { class: "hint", text: " (forced)" }) : null)),
      el("td", { class: `status-${job.status}`, text: job.status || "?" }),
      el("td", {}, el("div", {}, progress, el("span", { class: "progress-text", text: `${finished} of ${job.total ?? "?"} (${percent}%)` }))),
      el("td", { text: outcomes }),
      el("td", {}, time(job.createdAt)));
    return row;
  }

  function renderJobs() {
    const table = $("jobs");
    const ids = jobOrder.concat([...jobs.keys()].filter((id) => !jobOrder.includes(id) && jobs.get(id).pinned));
    const rows = ids.map((id) => jobRow(jobs.get(id)));
    fillTable(table, rows.length ? rows : [emptyRow(table, "No enrichment job yet.")]);
  }

  function updateJob(update) {
    const job = mergeJob(update);
    const table = $("jobs");
    const existing = [...table.tBodies[0].rows].find((row) => row.getAttribute("data-job-id") === job.id);
    if (existing) {
      const row = jobRow(job);
      labelRow(row, [...table.tHead.rows[0].cells].map((th) => th.textContent.trim()));
      existing.replaceWith(row);
    } else {
      renderJobs();
    }
    announce(job);
  }

  function announce(job) {
    const now = Date.now();
    const done = job.status === "completed";
    if (done ? announced.has(job.id) : now - lastAnnouncement < 5000) return;
    if (done) announced.add(job.id);
    lastAnnouncement = now;
    $("progress-announcer").textContent = done
      ? `Job ${job.id} completed: ${finishedOf(job)} of ${job.total} entities.`
      : `Job ${job.id}: ${percentOf(job)}% (${finishedOf(job)} of ${job.total}).`;
  }

  function followRunning() {
    for (const id of jobOrder) {
      const job = jobs.get(id);
      if (job && job.status === "running" && !followed.has(id) && followed.size < MAX_STREAMS) follow(id);
    }
  }

  async function follow(id) {
    const state = { abort: new AbortController(), done: false, lastEventId: null, mode: "stream" };
    followed.set(id, state);
    let delay = 1000;
    try {
      while (!state.done && !state.abort.signal.aborted) {
        try {
          if (state.mode === "stream") await stream(id, state); else await poll(id, state);
          delay = 1000;
        } catch (error) {
          if (state.abort.signal.aborted) return;
          if (error instanceof ApiError && error.status === 401) return;
          if (error instanceof ApiError && [404, 503].includes(error.status) && state.mode === "stream") {
            state.mode = "poll"; // a service without event streams, or with every stream slot taken: poll instead
            continue;
          }
          if (error instanceof ApiError && error.status === 400 && state.lastEventId) {
            state.lastEventId = null; // a cursor the service no longer takes: start the stream over
            continue;
          }
          if (error instanceof ApiError && error.status === 404) return; // the job is gone
          showError("jobs-error", `Live progress of ${id} was interrupted (${error.message}); reconnecting.`);
          await sleep(delay, state.abort.signal);
          delay = Math.min(delay * 2, 15000);
        }
      }
    } finally {
      if (followed.get(id) === state) followed.delete(id);
      if (!state.abort.signal.aborted) { summarySoon(); followRunning(); }
    }
  }

  async function poll(id, state) {
    let finished = -1;
    while (!state.abort.signal.aborted) {
      const job = await api(`/v1/enrichments/${encodeURIComponent(id)}?limit=1`, { signal: state.abort.signal });
      updateJob(job);
      if (finishedOf(job) !== finished) { finished = finishedOf(job); summarySoon(); }
      if (job.status === "completed") { state.done = true; return; }
      await sleep(POLL_MS, state.abort.signal);
    }
  }

  async function stream(id, state) {
    const connection = new AbortController();
    const stop = () => connection.abort();
    state.abort.signal.addEventListener("abort", stop, { once: true });
    let watchdog = setTimeout(stop, STALL_MS);
    try {
      const headers = authorized({ Accept: "text/event-stream" });
      if (state.lastEventId) headers.set("Last-Event-ID", state.lastEventId);
      const response = await fetch(`/v1/enrichments/${encodeURIComponent(id)}/events`, { headers, cache: "no-store", signal: connection.signal });
      if (!response.ok) throw await problemOf(response);
      if (response.status === 204) { // resumed after the job's final event: it is over
        finish(id, state);
        return;
      }
      if (!(response.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
        throw new ApiError(404, "the service answered the event stream with something else");
      }
      showError("jobs-error", "");
      const parser = new EventStreamParser((event) => onEvent(id, state, event));
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(watchdog);
        watchdog = setTimeout(stop, STALL_MS);
        parser.push(value);
        if (parser.lastEventId !== null) state.lastEventId = parser.lastEventId;
      }
      if (!state.done) throw new Error("the stream ended before the job completed");
    } finally {
      clearTimeout(watchdog);
      state.abort.signal.removeEventListener("abort", stop);
    }
  }

  function onEvent(id, state, event) {
    let data = null;
    try { data = JSON.parse(event.data); } catch (_) { return; }
    if (event.type === "progress" && data) {
      updateJob({ id: data.jobId || id, status: data.status, total: data.total, counts: data.counts, percent: data.percent });
    } else if (event.type === "enrichment.entity.completed") {
      summarySoon();
    } else if (event.type === "enrichment.job.completed") {
      finish(id, state);
    }
  }

  // The job's last event came: read it once more for its final counts.
  function finish(id, state) {
    state.done = true;
    api(`/v1/enrichments/${encodeURIComponent(id)}?limit=1`).then(updateJob, () => {});
    summarySoon();
  }

  // Server-sent events framing (WHATWG HTML §9.2): fields per line, a blank line ends an event,
  // lines starting with ':' are comments (the heartbeats).
  class EventStreamParser {
    constructor(onEvent) {
      this.onEvent = onEvent;
      this.buffer = "";
      this.type = "";
      this.data = [];
      this.lastEventId = null;
    }

    push(text) {
      this.buffer += text;
      for (;;) {
        const end = this.buffer.search(/[\r\n]/);
        if (end < 0) break;
        if (this.buffer[end] === "\r" && end === this.buffer.length - 1) break; // maybe half of \r\n
        const width = this.buffer.startsWith("\r\n", end) ? 2 : 1;
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + width);
        this.line(line);
      }
      if (this.buffer.length > MAX_LINE) throw new Error("an event stream line is too long");
    }

    line(line) {
      if (line === "") return this.dispatch();
      if (line.startsWith(":")) return;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.type = value;
      else if (field === "data") this.data.push(value);
      else if (field === "id" && !value.includes("\u0000")) this.lastEventId = value;
    }

    dispatch() {
      const type = this.type || "message";
      const data = this.data.join("\n");
      const had = this.data.length > 0;
      this.type = "";
      this.data = [];
      if (had) this.onEvent({ type, data, id: this.lastEventId });
    }
  }

  // ---- Catalog summary ------------------------------------------------------------------------
  function renderCounts(entities) {
    const table = $("counts");
    const byMediaType = entities.byMediaType || {};
    const statuses = STATUS_ORDER.filter((s) => s in (entities.byStatus || {}))
      .concat(Object.keys(entities.byStatus || {}).filter((s) => !STATUS_ORDER.includes(s)));
    table.tHead.rows[0].replaceChildren(el("th", { scope: "col", text: "Media type" }),
      ...statuses.map((s) => el("th", { scope: "col", class: "number", text: s })),
      el("th", { scope: "col", class: "number", text: "total" }));
    const row = (name, counts, total) => el("tr", {}, el("th", { scope: "row", text: name }),
      ...statuses.map((s) => el("td", { class: "number", text: number(counts[s] || 0) })),
      el("td", { class: "number", text: number(total) }));
    const rows = Object.keys(byMediaType).sort((a, b) => MEDIA_TYPES.indexOf(a) - MEDIA_TYPES.indexOf(b))
      .map((type) => row(type, byMediaType[type].byStatus || {}, byMediaType[type].total));
    rows.push(row("all", entities.byStatus || {}, entities.total));
    fillTable(table, rows);
  }

  function renderCovers(covers) {
    const ids = covers.map((c) => c.id).join(",");
    $("covers-empty").hidden = covers.length > 0;
    if (ids === coverIds) return; // unchanged: keep the images already loaded
    coverIds = ids;
    $("covers").replaceChildren(...covers.map((cover) => {
      const entity = cover.entity;
      const title = entity ? (entity.title || `${entity.mediaType}/${entity.id}`) : "Cover no entity shows any more";
      const image = el("img", { src: cover.thumbnailUrl, alt: entity ? `Cover of ${title}` : title, loading: "lazy", decoding: "async" });
      return el("li", {}, el("figure", {}, image, el("figcaption", {},
        el("span", { text: title }), entity ? el("span", { class: "hint", text: ` (${entity.mediaType})` }) : null)));
    }));
  }

  function renderFailures(failures) {
    const table = $("failures");
    const groups = failures.groups || [];
    $("failures-note").textContent = !failures.examined ? ""
      : `Grouped over ${number(failures.examined)} failed entities (at most ${number(failures.sample)} are examined).`;
    const rows = groups.map((group) => {
      const button = el("button", { type: "button", class: "secondary", text: "Re-run these" });
      button.setAttribute("aria-label", `Prepare a re-run of the ${group.count} entities that failed with: ${group.reason || "no reason"}`);
      button.addEventListener("click", () => prefillRerun(group));
      return el("tr", {},
        el("td", { text: group.reason || "(no reason recorded)" }),
        el("td", { class: "number", text: number(group.count) + (group.permanent ? " (permanent)" : "") }),
        el("td", { text: (group.mediaTypes || []).join(", ") }),
        el("td", {}, time(group.lastLookupAt)),
        el("td", {}, button));
    });
    fillTable(table, rows.length ? rows : [emptyRow(table, "No failed lookups.")]);
  }

  // ---- Providers -----------------------------------------------------------------------------
  function renderProviders(providers) {
    const table = $("providers");
    const rows = providers.map((provider) => {
      const health = provider.health;
      const state = provider.enabled ? el("td", { text: "enabled" })
        : el("td", { class: "state-off", text: `off: ${provider.disabledReason || "disabled"}` });
      let breaker = "—", budget = `${provider.limits ? provider.limits.rate : "?"}`, quota = "—", inFlight = "—";
      if (health) {
        breaker = health.breaker;
        if (typeof health.failureRate === "number") breaker += ` (${Math.round(health.failureRate * 100)}% failed)`;
        if (typeof health.nextProbeInSeconds === "number") breaker += `, probe in ${seconds(health.nextProbeInSeconds)}`;
        budget += `; ${health.tokensAvailable} free now`;
        if (typeof health.pausedForSeconds === "number") budget += `; paused ${seconds(health.pausedForSeconds)}`;
        quota = typeof health.dailyQuota === "number" ? `${number(health.quotaUsedToday)} of ${number(health.dailyQuota)}` : "no quota";
        inFlight = `${health.requestsInFlight} of ${health.maxInFlight}`;
      }
      return el("tr", {},
        el("th", { scope: "row", text: provider.name }),
        state,
        el("td", { class: health ? `breaker-${health.breaker}` : "", text: breaker }),
        el("td", { text: budget }),
        el("td", { text: quota }),
        el("td", { text: inFlight }));
    });
    fillTable(table, rows.length ? rows : [emptyRow(table, "No provider.")]);
    const select = $("rerun-provider");
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "", text: "Any" }),
      ...providers.map((p) => el("option", { value: p.name, text: p.name })));
    select.value = providers.some((p) => p.name === chosen) ? chosen : "";
  }

  // ---- Re-run form ---------------------------------------------------------------------------
  function buildChoices() {
    const add = (container, name, values) => container.replaceChildren(...values.map((value) => {
      const id = `rerun-${name}-${value}`;
      return el("label", { htmlFor: id }, el("input", { type: "checkbox", id, name, value }), document.createTextNode(value));
    }));
    add($("rerun-media-types"), "mediaTypes", MEDIA_TYPES);
    add($("rerun-statuses"), "statuses", RERUN_STATUSES);
  }

  function prefillRerun(group) {
    const form = $("rerun-form");
    for (const box of form.querySelectorAll('input[name="mediaTypes"]')) box.checked = (group.mediaTypes || []).includes(box.value);
    for (const box of form.querySelectorAll('input[name="statuses"]')) box.checked = box.value === (group.permanent ? "permanent" : "failed");
    $("rerun-reason").value = (group.reason || "").slice(0, MAX_REASON);
    $("rerun-result").textContent = "The form is filled in for that reason: count the matches first.";
    $("rerun-heading").scrollIntoView({ block: "start" });
    form.querySelector("button[value='dry-run']").focus();
  }

  function rerunFilter(form) {
    const filter = {};
    const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
    if (checked("mediaTypes").length) filter.mediaTypes = checked("mediaTypes");
    if (checked("statuses").length) filter.statuses = checked("statuses");
    if ($("rerun-provider").value) filter.provider = $("rerun-provider").value;
    const reason = $("rerun-reason").value.trim();
    if (reason) filter.failureReason = reason;
    for (const [id, name] of [["rerun-after", "lookedUpAfter"], ["rerun-before", "lookedUpBefore"]]) {
      const value = $(id).value;
      if (!value) continue;
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw new Error(`${$(id).labels[0].textContent} is not a date and time.`);
      filter[name] = date.toISOString();
    }
    return filter;
  }

  function describeDryRun(body) {
    if (!body || typeof body.matched !== "number") return "Dry run done; nothing was started.";
    let text = `${number(body.matched)} entities match; nothing was started.`;
    if (typeof body.maxEntities === "number" && body.matched > body.maxEntities) {
      text += ` A re-run takes at most ${number(body.maxEntities)}: narrow the filter first.`;
    }
    return text;
  }

  async function submitRerun(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const dryRun = !(event.submitter && event.submitter.value === "run");
    showError("rerun-error", "");
    $("rerun-result").textContent = "";
    let filter;
    try { filter = rerunFilter(form); } catch (error) { showError("rerun-error", error.message); return; }
    if (!dryRun && !window.confirm("Start a re-run of every entity that matches this filter?")) return;
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((b) => { b.disabled = true; });
    $("rerun-result").textContent = dryRun ? "Counting…" : "Starting…";
    try {
      const body = await api("/v1/enrichments", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ filter, force: $("rerun-force").checked, dryRun }) });
      if (!dryRun && body && body.id) {
        const matched = body.expansion && typeof body.expansion.matched === "number" ? body.expansion.matched : body.total;
        $("rerun-result").textContent = `Started job ${body.id} over ${number(matched)} entities.`;
        mergeJob(Object.assign({ pinned: true }, body));
        jobOrder = [body.id].concat(jobOrder.filter((id) => id !== body.id));
        renderJobs();
        followRunning();
      } else {
        $("rerun-result").textContent = describeDryRun(body);
      }
    } catch (error) {
      $("rerun-result").textContent = "";
      showError("rerun-error", `${dryRun ? "The dry run" : "The re-run"} failed: ${error.message}`);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // ---- Start ---------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    buildChoices();
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("api-key").value.trim();
      $("api-key").value = "";
      if (key) connect(key).then(() => { if (!$("main").hidden) $("main").focus(); });
    });
    $("forget-key").addEventListener("click", () => signOut("The key was forgotten; enter it again to continue."));
    $("refresh").addEventListener("click", () => refreshAll());
    $("rerun-form").addEventListener("submit", submitRerun);
    if (apiKey) connect(apiKey); else $("api-key").focus();
  });
})();
"""#
}
