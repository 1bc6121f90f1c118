/* Signature pad: draw with a finger, a pen or the mouse on a <canvas>.
 *
 * Markup: a <canvas data-signature-pad="ID"> inside a form, a hidden input with
 * id ID that receives the PNG data URL on submit, and an optional
 * <button data-signature-clear="ID">. Pointer events cover touch, pen and
 * mouse alike; the canvas keeps its drawing when the window is resized.
 */
(function () {
    "use strict";

    function setUp(canvas) {
        var input = document.getElementById(canvas.dataset.signaturePad);
        var ctx = canvas.getContext("2d");
        var drawing = false;
        var inked = false;
        var last = null;

        function fit() {
            var ratio = window.devicePixelRatio || 1;
            var rect = canvas.getBoundingClientRect();
            var saved = inked ? canvas.toDataURL("image/png") : null;
            canvas.width = Math.round(rect.width * ratio);
            canvas.height = Math.round(rect.height * ratio);
            ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
            ctx.lineWidth = 2.5;
            ctx.lineCap = "round";
            ctx.lineJoin = "round";
            ctx.strokeStyle = "#111";
            if (saved) {
                var img = new Image();
                img.onload = function () { ctx.drawImage(img, 0, 0, rect.width, rect.height); };
                img.src = saved;
            }
        }

        function point(event) {
            var rect = canvas.getBoundingClientRect();
            return { x: event.clientX - rect.left, y: event.clientY - rect.top };
        }

        canvas.addEventListener("pointerdown", function (event) {
            event.preventDefault();
            canvas.setPointerCapture(event.pointerId);
            drawing = true;
            last = point(event);
            ctx.beginPath();
            ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
            ctx.fillStyle = ctx.strokeStyle;
            ctx.fill();
        });
        canvas.addEventListener("pointermove", function (event) {
            if (!drawing) { return; }
            event.preventDefault();
            var p = point(event);
            ctx.beginPath();
            ctx.moveTo(last.x, last.y);
            ctx.lineTo(p.x, p.y);
            ctx.stroke();
            last = p;
            inked = true;
            canvas.classList.add("signed");
        });
        function stop() { drawing = false; last = null; }
        canvas.addEventListener("pointerup", stop);
        canvas.addEventListener("pointercancel", stop);
        canvas.addEventListener("pointerleave", stop);

        var clear = document.querySelector('[data-signature-clear="' + canvas.dataset.signaturePad + '"]');
        if (clear) {
            clear.addEventListener("click", function () {
                ctx.clearRect(0, 0, canvas.width, canvas.height);
                inked = false;
                canvas.classList.remove("signed");
                if (input) { input.value = ""; }
            });
        }
        var form = canvas.closest("form");
        if (form && input) {
            form.addEventListener("submit", function () {
                input.value = inked ? canvas.toDataURL("image/png") : "";
            });
        }
        fit();
        window.addEventListener("resize", fit);
    }

    function init() {
        document.querySelectorAll("canvas[data-signature-pad]").forEach(setUp);
    }
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
