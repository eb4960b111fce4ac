// The query page: sends the editor's query to the endpoint and shows the answer as a table.
// Everything runs against this server; nothing is loaded from elsewhere.
"use strict";

(function () {
  const form = document.getElementById("query-form");
  const editor = document.getElementById("query-text");
  const runButton = document.getElementById("run");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const endpoint = form.dataset.endpoint;
  const base = form.dataset.base;
  const root = form.dataset.root;
  const examples = JSON.parse(document.getElementById("examples-data").textContent);
  const prefixes = Object.entries(JSON.parse(document.getElementById("prefixes-data").textContent))
    .sort((a, b) => b[1].length - a[1].length);

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function shortName(iri) {
    for (const [prefix, ns] of prefixes) {
      if (iri.startsWith(ns) && iri.length > ns.length) return prefix + ":" + iri.slice(ns.length);
    }
    return iri;
  }

  function linkFor(iri) {
    return iri.startsWith(base) && iri.length > base.length ? root + "/" + iri.slice(base.length) : iri;
  }

  function cell(term) {
    const td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      td.appendChild(el("a", { href: linkFor(term.value), title: term.value }, shortName(term.value)));
    } else if (term.type === "bnode") {
      td.appendChild(el("span", { class: "muted" }, "_:" + term.value));
    } else {
      td.appendChild(document.createTextNode(term.value));
      const note = term["xml:lang"] ? "@" + term["xml:lang"] : term.datatype ? shortName(term.datatype) : "";
      if (note && !note.endsWith("xsd:string")) td.appendChild(el("span", { class: "lang" }, " " + note));
    }
    return td;
  }

  function showTable(data) {
    const vars = data.head.vars || [];
    const rows = data.results.bindings;
    const table = el("table", { id: "results-table" });
    const headRow = el("tr");
    for (const name of vars) headRow.appendChild(el("th", { scope: "col" }, "?" + name));
    table.appendChild(el("thead")).appendChild(headRow);
    const body = table.appendChild(el("tbody"));
    for (const row of rows) {
      const tr = body.appendChild(el("tr"));
      for (const name of vars) tr.appendChild(cell(row[name]));
    }
    results.replaceChildren(table);
    return rows.length === 1 ? "1 row" : rows.length + " rows";
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  async function run() {
    const query = editor.value;
    const url = new URL(window.location.href);
    url.search = new URLSearchParams({ query }).toString();
    window.history.replaceState(null, "", url);
    runButton.disabled = true;
    setStatus("Running…");
    const started = performance.now();
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/sparql-results+json, text/turtle;q=0.9",
        },
        body: new URLSearchParams({ query }),
      });
      const text = await response.text();
      const took = Math.round(performance.now() - started) + " ms";
      if (!response.ok) {
        results.replaceChildren();
        setStatus(text.trim(), true);
        return;
      }
      let summary;
      if ((response.headers.get("Content-Type") || "").startsWith("application/sparql-results+json")) {
        const data = JSON.parse(text);
        if ("boolean" in data) {
          results.replaceChildren(el("p", { class: "lede", id: "results-boolean" }, data.boolean ? "Yes (true)" : "No (false)"));
          summary = "answer";
        } else {
          summary = showTable(data);
        }
      } else {
        results.replaceChildren(el("pre", { id: "results-graph" }, text));
        summary = "graph (Turtle)";
      }
      const truncated = response.headers.get("X-Lineage-Truncated") === "true"
        ? " — cut at " + response.headers.get("X-Lineage-Result-Limit") + " rows" : "";
      setStatus(summary + " in " + took + truncated);
    } catch (error) {
      setStatus("The query could not be sent: " + error.message, true);
    } finally {
      runButton.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  for (const button of document.querySelectorAll("button.example")) {
    button.addEventListener("click", () => {
      const example = examples.find((e) => e.name === button.dataset.example);
      editor.value = example.text;
      run();
    });
  }
  if (form.dataset.autorun === "true") run();
})();
