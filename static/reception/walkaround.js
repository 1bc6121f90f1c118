// Walk-around: a tap on the car drawing places a damage mark. The position
// goes into the mark form (per cent of the view) and the form is submitted;
// htmx swaps the damage section. A tap on an existing mark shows its row.
(function () {
    "use strict";

    function flashRow(pk) {
        var row = document.getElementById("wa-mark-row-" + pk);
        if (!row) return;
        row.scrollIntoView({ block: "nearest" });
        row.classList.add("wa-flash");
        window.setTimeout(function () { row.classList.remove("wa-flash"); }, 1200);
    }

    document.addEventListener("click", function (event) {
        var target = event.target;
        if (!(target instanceof Element)) return;
        var svg = target.closest("svg.wa-view-interactive");
        if (!svg) return;
        var mark = target.closest(".wa-mark");
        if (mark) {
            flashRow(mark.getAttribute("data-mark"));
            return;
        }
        var form = document.getElementById("wa-mark-form");
        if (!form || form.classList.contains("htmx-request")) return;
        var point = svg.createSVGPoint();
        point.x = event.clientX;
        point.y = event.clientY;
        var local = point.matrixTransform(svg.getScreenCTM().inverse());
        var box = svg.viewBox.baseVal;
        var x = ((local.x - box.x) / box.width) * 100;
        var y = ((local.y - box.y) / box.height) * 100;
        if (x < 0 || x > 100 || y < 0 || y > 100) return;
        form.elements.view.value = svg.getAttribute("data-view");
        form.elements.x.value = x.toFixed(2);
        form.elements.y.value = y.toFixed(2);
        var pending = document.createElementNS("http://www.w3.org/2000/svg", "circle");
        pending.setAttribute("cx", local.x);
        pending.setAttribute("cy", local.y);
        pending.setAttribute("r", "8");
        pending.setAttribute("class", "wa-pending");
        svg.appendChild(pending);
        form.requestSubmit();
    });
})();

// Enter in the note field must not post a mark without a place on the car.
document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target instanceof Element && event.target.closest("#wa-mark-form")) {
        event.preventDefault();
    }
});
