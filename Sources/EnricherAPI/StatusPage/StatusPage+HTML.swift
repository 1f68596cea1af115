/// The status page's files, kept as Swift string literals so the binary carries them (no resource
/// bundle to install next to it, no build step). The script builds every dynamic part with DOM calls
/// and `textContent`, never HTML strings: names, titles and reasons come from outside.
enum StatusPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Enricher status</title>
<link rel="icon" href="/ui/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/status.css">
<script src="/ui/status.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the status</a>
<header class="top">
  <h1>Enricher status</h1>
  <p id="connection" role="status" aria-live="polite">Not connected.</p>
  <form id="key-form" class="key-form" autocomplete="off">
    <label for="api-key">API key</label>
    <div class="row">
      <input id="api-key" name="apiKey" type="password" required spellcheck="false" aria-describedby="key-hint">
      <button type="submit">Connect</button>
    </div>
    <p id="key-hint" class="hint">Kept in this browser tab only and sent to this service as <code>Authorization: Bearer</code>.</p>
    <p id="key-error" class="error" role="alert"></p>
  </form>
  <div id="session" class="row" hidden>
    <button id="refresh" type="button">Refresh now</button>
    <button id="forget-key" type="button">Forget key</button>
  </div>
</header>
<main id="main" hidden tabindex="-1">
  <section aria-labelledby="jobs-heading">
    <h2 id="jobs-heading">Jobs</h2>
    <p id="jobs-error" class="error" role="alert"></p>
    <p id="progress-announcer" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true"></p>
    <table id="jobs" class="stack">
      <caption>Running and recent enrichment jobs, newest first</caption>
      <thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Outcomes</th><th scope="col">Created</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="catalog-heading">
    <h2 id="catalog-heading">Catalog</h2>
    <p id="summary-error" class="error" role="alert"></p>
    <table id="counts" class="stack">
      <caption>Entities by media type and status</caption>
      <thead><tr><th scope="col">Media type</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="covers-heading">
    <h2 id="covers-heading">Latest covers</h2>
    <ul id="covers" class="covers"></ul>
    <p id="covers-empty" class="hint" hidden>No cover stored yet.</p>
  </section>
  <section aria-labelledby="failures-heading">
    <h2 id="failures-heading">Failures by reason</h2>
    <p id="failures-note" class="hint"></p>
    <table id="failures" class="stack">
      <caption>Why lookups found no cover, most common first</caption>
      <thead><tr><th scope="col">Reason</th><th scope="col">Entities</th><th scope="col">Media types</th><th scope="col">Last lookup</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="providers-heading">
    <h2 id="providers-heading">Providers</h2>
    <p id="providers-error" class="error" role="alert"></p>
    <table id="providers" class="stack">
      <caption>Cover providers: whether each runs, its breaker, budget and quota</caption>
      <thead><tr><th scope="col">Provider</th><th scope="col">State</th><th scope="col">Breaker</th><th scope="col">Budget</th><th scope="col">Quota today</th><th scope="col">In flight</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="rerun-heading">
    <h2 id="rerun-heading">Re-run lookups</h2>
    <form id="rerun-form" class="rerun" novalidate>
      <fieldset>
        <legend>Media types</legend>
        <div id="rerun-media-types" class="choices"></div>
      </fieldset>
      <fieldset>
        <legend>Statuses</legend>
        <div id="rerun-statuses" class="choices"></div>
      </fieldset>
      <div class="field">
        <label for="rerun-provider">Provider that found nothing</label>
        <select id="rerun-provider" name="provider"><option value="">Any</option></select>
      </div>
      <div class="field">
        <label for="rerun-reason">Failure reason contains</label>
        <input id="rerun-reason" name="failureReason" type="text" maxlength="200">
      </div>
      <div class="field">
        <label for="rerun-after">Looked up after</label>
        <input id="rerun-after" name="lookedUpAfter" type="datetime-local">
      </div>
      <div class="field">
        <label for="rerun-before">Looked up before</label>
        <input id="rerun-before" name="lookedUpBefore" type="datetime-local">
      </div>
      <div class="field check">
        <input id="rerun-force" name="force" type="checkbox">
        <label for="rerun-force">Force (look up again even if looked up before)</label>
      </div>
      <div class="row">
        <button type="submit" name="mode" value="dry-run">Count matching (dry run)</button>
        <button type="submit" name="mode" value="run">Start re-run</button>
      </div>
      <p id="rerun-result" role="status" aria-live="polite"></p>
      <p id="rerun-error" class="error" role="alert"></p>
    </form>
  </section>
</main>
<footer>
  <p id="updated" class="hint"></p>
</footer>
</body>
</html>
"""#
}
