// kook serve's pages. Loaded as a file (the Content-Security-Policy allows
// no inline script). Configs are sent as the text typed: JSON.parse is used
// only to check it, never to re-serialize it, so 1.0, -0.0, 23-digit
// integers and key order reach the server exactly as written.
"use strict";

function csrf() {
  var m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : "";
}

function send(method, url, body, contentType) {
  var headers = { "X-CSRF-Token": csrf(), "Accept": "application/json" };
  if (contentType) headers["Content-Type"] = contentType;
  return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" })
    .then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = JSON.parse(t); } catch (e) { data = { text: t }; }
        return { status: r.status, ok: r.ok, data: data };
      });
    });
}

function form(fields) {
  var p = new URLSearchParams();
  Object.keys(fields).forEach(function (k) { p.append(k, fields[k]); });
  return p.toString();
}

function envURL(svc, env) {
  var u = "/service/" + encodeURIComponent(svc) + "/";
  if (env) env.split("/").forEach(function (p) { u += encodeURIComponent(p) + "/"; });
  return u;
}

function byId(id) { return document.getElementById(id); }

function fail(res) {
  alert((res.data && res.data.error) || ("failed: HTTP " + res.status));
}

// Forms that ask before they act.
document.addEventListener("submit", function (ev) {
  var f = ev.target;
  if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) ev.preventDefault();
});

// checkConfig says what is wrong with the config text, or "".
function checkConfig(text) {
  var v;
  try { v = JSON.parse(text); } catch (e) {
    var msg = e.message, m = /position (\d+)/.exec(msg);
    if (m) {
      var pos = +m[1], before = text.slice(0, pos), line = before.split("\n").length;
      msg += " (line " + line + ", column " + (pos - before.lastIndexOf("\n")) + ")";
    }
    return "Invalid JSON: " + msg;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "The config must be a JSON object ({...}).";
  return "";
}

function setupIndex() {
  var f = document.querySelector("form[data-newservice]");
  if (!f) return;
  f.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var name = byId("new-service").value.trim();
    if (!name) return;
    send("POST", envURL(name, ""), "", "application/x-www-form-urlencoded").then(function (res) {
      if (res.status === 201) location.href = envURL(name, ""); else fail(res);
    });
  });
}

function setupService() {
  var root = byId("svc");
  if (!root) return;
  var svc = root.dataset.service, env = root.dataset.env, url = root.dataset.url;
  var version = +root.dataset.version;
  var ta = byId("config"), errBox = byId("config-error"), status = byId("status");

  function validate() {
    var msg = checkConfig(ta.value);
    errBox.hidden = !msg;
    errBox.textContent = msg;
    ta.classList.toggle("invalid", !!msg);
    var save = byId("save");
    if (save) save.disabled = !!msg;
    return !msg;
  }
  if (ta) { ta.addEventListener("input", validate); validate(); }

  // save PUTs the text as typed, with the version it was loaded at and
  // why (kept in the service's history); a 409 shows the stored config
  // (cut from the answer's text, so its numbers are shown as stored)
  // beside the user's.
  function save(ver) {
    if (!validate()) return;
    status.textContent = "saving…";
    fetch(url, {
      method: "PUT", credentials: "same-origin", body: form({ data: ta.value, version: ver, reason: byId("config-reason").value }),
      headers: { "X-CSRF-Token": csrf(), "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = {};
        try { data = JSON.parse(t); } catch (e) {}
        if (r.ok) {
          status.textContent = "saved, version " + data.version;
          location.reload();
        } else if (r.status === 409) {
          status.textContent = "";
          byId("conflict").hidden = false;
          byId("their-version").textContent = data.version;
          byId("theirs").textContent = configText(t);
          byId("mine").textContent = ta.value;
          byId("retry").onclick = function () { byId("conflict").hidden = true; save(data.version); };
        } else {
          status.textContent = "";
          errBox.hidden = false;
          errBox.textContent = data.error || ("HTTP " + r.status);
        }
      });
    });
  }
  var saveBtn = byId("save");
  if (saveBtn) saveBtn.addEventListener("click", function () { save(version); });
  var reload = byId("reload");
  if (reload) reload.addEventListener("click", function () { location.reload(); });

  var check = byId("check");
  if (check) check.addEventListener("click", function () {
    if (!validate()) return;
    send("POST", root.dataset.preview, ta.value, "application/json").then(function (res) {
      var box = byId("reach");
      box.hidden = false;
      box.textContent = "";
      if (!res.ok) { box.textContent = (res.data && res.data.error) || ("HTTP " + res.status); return; }
      var d = res.data, h = document.createElement("div");
      if (!d.envs.length) { h.textContent = "No view changes: saving reaches no environment."; box.appendChild(h); return; }
      h.textContent = "Changes the view of " + d.envs.length + " environment(s) and " + d.hosts.length + " associated host(s)" +
        (d.unassociated ? ", and every host without an association" : "") + ":";
      box.appendChild(h);
      var ul = document.createElement("ul");
      d.envs.forEach(function (e) {
        var li = document.createElement("li");
        li.textContent = e.env + ": " + e.keys.join(", ");
        ul.appendChild(li);
      });
      box.appendChild(ul);
      if (d.hosts.length) {
        var hp = document.createElement("div");
        hp.textContent = "Hosts: " + d.hosts.slice(0, 50).join(", ") + (d.hosts.length > 50 ? " …" : "");
        box.appendChild(hp);
      }
    });
  });

  var addEnv = byId("add-env");
  if (addEnv) addEnv.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var name = byId("child-name").value.trim();
    if (!name || name.indexOf("/") >= 0) { alert("A name without /"); return; }
    var child = env ? env + "/" + name : name;
    send("POST", envURL(svc, child), "", "application/x-www-form-urlencoded").then(function (res) {
      if (res.status === 201) location.href = envURL(svc, child); else fail(res);
    });
  });

  var delEnv = byId("delete-env");
  if (delEnv) delEnv.addEventListener("click", function () {
    if (!confirm("Delete environment " + env + "? Its hosts move to the parent.")) return;
    send("DELETE", url, null).then(function (res) {
      if (res.ok) location.href = envURL(svc, env.split("/").slice(0, -1).join("/")); else fail(res);
    });
  });

  var delSvc = byId("delete-service");
  if (delSvc) delSvc.addEventListener("click", function () {
    var typed = prompt("Delete the whole service " + svc + ", every environment and association? Type its name to confirm.");
    if (typed !== svc) return;
    send("DELETE", envURL(svc, ""), null).then(function (res) {
      if (res.ok) location.href = "/"; else fail(res);
    });
  });

  function assocURL(host) { return "/service/" + encodeURIComponent(svc) + "/association/" + encodeURIComponent(host); }

  var addAssoc = byId("add-assoc");
  if (addAssoc) addAssoc.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var host = byId("assoc-host").value.trim();
    if (!host) return;
    send("PUT", assocURL(host), form({ env: env }), "application/x-www-form-urlencoded").then(function (res) {
      if (res.status === 201) location.reload(); else fail(res);
    });
  });

  var list = byId("assocs");
  if (list) {
    list.addEventListener("click", function (ev) {
      if (!ev.target.classList.contains("unassoc")) return;
      var host = ev.target.closest("li").dataset.host;
      if (!confirm("Remove the association of " + host + "? It will read the root's view.")) return;
      send("DELETE", assocURL(host), null).then(function (res) { if (res.ok) location.reload(); else fail(res); });
    });
    list.addEventListener("change", function (ev) {
      if (!ev.target.classList.contains("move") || ev.target.value.trim() === "") return;
      var host = ev.target.closest("li").dataset.host, to = ev.target.value.trim().replace(/^\/+|\/+$/g, "");
      if (!confirm("Move " + host + " to " + (to || "/") + "?")) { ev.target.value = ""; return; }
      send("PUT", assocURL(host), form({ env: to }), "application/x-www-form-urlencoded").then(function (res) {
        if (res.status === 201) location.reload(); else fail(res);
      });
    });
  }
  var filter = byId("assoc-filter");
  if (filter) filter.addEventListener("input", function () {
    var q = filter.value.toLowerCase();
    document.querySelectorAll("#assocs li[data-host]").forEach(function (li) {
      li.hidden = q !== "" && li.dataset.host.toLowerCase().indexOf(q) < 0;
    });
  });
}

// configText cuts the stored config out of a 409 answer's JSON text as
// the server wrote it, and indents it without parsing its numbers.
function configText(t) {
  var i = t.indexOf('"config":');
  if (i < 0) return "";
  var s = t.slice(i + 9), depth = 0, inStr = false, out = "", ind = "";
  for (var k = 0; k < s.length; k++) {
    var c = s[k];
    if (inStr) {
      out += c;
      if (c === "\\") { out += s[++k]; } else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') { inStr = true; out += c; continue; }
    if (c === "{" || c === "[") { depth++; ind += "  "; out += c + "\n" + ind; continue; }
    if (c === "}" || c === "]") {
      depth--; ind = ind.slice(2); out += "\n" + ind + c;
      if (depth === 0) break;
      continue;
    }
    if (c === ",") { out += ",\n" + ind; continue; }
    if (c === ":") { out += ": "; continue; }
    out += c;
  }
  return out.replace(/\{\n\s*\}/g, "{}").replace(/\[\n\s*\]/g, "[]");
}

document.addEventListener("DOMContentLoaded", function () { setupIndex(); setupService(); });
