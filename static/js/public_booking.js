/* Self-booking page: reload the free times from the JSON API whenever the
   services or the wish change. Without this script the "Show free times"
   button asks the server instead. */
(function () {
    "use strict";
    var form = document.getElementById("choose-form");
    if (!form || !window.fetch || !window.URLSearchParams) { return; }
    var box = document.getElementById("slots");
    var estimate = document.getElementById("estimate");
    var show = document.getElementById("show-times");
    var d = form.dataset;
    var lang = document.documentElement.lang || "zh-CN";
    var seq = 0;
    var fmt = function (options) {
        return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: d.timeZone, hour12: false }, options));
    };
    var dayFmt = fmt({ month: "2-digit", day: "2-digit", weekday: "short", hour: "2-digit", minute: "2-digit" });
    var shortFmt = fmt({ month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

    function note(text, css) {
        box.replaceChildren();
        var p = document.createElement(css ? "div" : "p");
        p.className = css || "text-secondary small mb-0";
        p.textContent = text;
        box.appendChild(p);
    }

    function slot(s, checked, wished) {
        var label = document.createElement("label");
        label.className = "public-slot list-group-item d-flex align-items-center gap-2" + (s.matches_wish && wished ? " public-slot-wish" : "");
        var input = document.createElement("input");
        input.className = "form-check-input m-0";
        input.type = "radio";
        input.name = "arrives_at";
        input.value = s.arrives_at;
        input.checked = s.arrives_at === checked;
        var text = document.createElement("span");
        text.className = "flex-grow-1";
        var strong = document.createElement("strong");
        strong.textContent = dayFmt.format(new Date(s.arrives_at));
        var ready = document.createElement("span");
        ready.className = "d-block small text-secondary";
        ready.textContent = d.msgReady + " " + shortFmt.format(new Date(s.ready_at));
        text.append(strong, ready);
        var badge = document.createElement("span");
        var load = s.day_load_percent;
        badge.className = "badge " + (load >= 90 ? "text-bg-danger" : load >= 70 ? "text-bg-warning" : "text-bg-success");
        badge.title = d.msgLoad;
        badge.textContent = load + "%";
        label.append(input, text, badge);
        return label;
    }

    function refresh() {
        var params = new URLSearchParams();
        form.querySelectorAll("input[name=packages]:checked, input[name=operations]:checked").forEach(function (i) {
            params.append(i.name, i.value);
        });
        if (!params.has("packages") && !params.has("operations")) {
            estimate.textContent = "";
            note(d.msgChoose);
            return;
        }
        var wished = false;
        ["wished_day", "part_of_day"].forEach(function (name) {
            var field = form.elements[name];
            if (field && field.value) { params.append(name, field.value); wished = true; }
        });
        var checked = (form.querySelector("input[name=arrives_at]:checked") || {}).value;
        var mine = ++seq;
        box.setAttribute("aria-busy", "true");
        fetch(d.slotsUrl + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
            .then(function (response) {
                return response.json().then(function (data) { return { ok: response.ok, data: data }; });
            })
            .then(function (result) {
                if (mine !== seq) { return; }
                box.removeAttribute("aria-busy");
                if (!result.ok) {
                    estimate.textContent = "";
                    note(result.data.detail || d.msgError, "alert alert-warning mb-0");
                    return;
                }
                var data = result.data;
                estimate.textContent = d.msgEstimate.replace("__HOURS__", data.hours)
                    .replace("__PRICE__", (Number(data.labour_price) + Number(data.parts_price)).toFixed(2));
                if (!data.slots.length) { note(d.msgNone, "alert alert-warning mb-0"); return; }
                box.replaceChildren.apply(box, data.slots.map(function (s) { return slot(s, checked, wished); }));
            })
            .catch(function () {
                if (mine !== seq) { return; }
                box.removeAttribute("aria-busy");
                show.hidden = false;
                note(d.msgError, "alert alert-warning mb-0");
            });
    }

    show.hidden = true;
    form.addEventListener("change", function (event) {
        if (event.target.name !== "arrives_at" && event.target.name !== "request") { refresh(); }
    });
    if (!box.querySelector("input[name=arrives_at]")) { refresh(); }
}());
