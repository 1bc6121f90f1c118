/* The service manager's dashboard: four charts (Chart.js, vendored) from the
   data the page carries in #dashboard-charts, and the formula tooltips. */
(function () {
    "use strict";
    const data = JSON.parse(document.getElementById("dashboard-charts").textContent);
    const L = data.labels;
    const colours = { blue: "#0d6efd", grey: "#adb5bd", green: "#198754", orange: "#fd7e14", red: "#dc3545", yellow: "#ffc107" };
    Chart.defaults.animation = false; // printable at once, and calmer on a meeting-room screen
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.size = 11;

    new Chart(document.getElementById("chart-load"), {
        type: "bar",
        data: {
            labels: data.load.labels,
            datasets: [
                { type: "line", label: L.capacity, data: data.load.capacity, borderColor: colours.grey, backgroundColor: colours.grey, stepped: "middle", pointRadius: 0 },
                {
                    label: L.booked, data: data.load.booked,
                    backgroundColor: data.load.booked.map((b, i) => {
                        const cap = data.load.capacity[i];
                        if (!cap) return colours.grey;
                        return b / cap > 0.9 ? colours.red : b / cap < 0.5 ? colours.yellow : colours.blue;
                    }),
                },
            ],
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: "h" } } } },
    });

    new Chart(document.getElementById("chart-revenue"), {
        type: "bar",
        data: {
            labels: data.trend.labels,
            datasets: [
                { label: L.labour, data: data.trend.labour, backgroundColor: colours.blue, stack: "revenue", yAxisID: "y" },
                { label: L.parts, data: data.trend.parts, backgroundColor: colours.grey, stack: "revenue", yAxisID: "y" },
                { type: "line", label: L.hours, data: data.trend.hours, borderColor: colours.orange, backgroundColor: colours.orange, yAxisID: "h" },
            ],
        },
        options: {
            scales: {
                y: { stacked: true, beginAtZero: true, title: { display: true, text: "¥" } },
                h: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "h" } },
            },
        },
    });

    new Chart(document.getElementById("chart-satisfaction"), {
        type: "bar",
        data: {
            labels: data.trend.labels,
            datasets: [
                { type: "line", label: L.satisfaction, data: data.trend.satisfaction, borderColor: colours.green, backgroundColor: colours.green, yAxisID: "s", spanGaps: true },
                { label: L.dissatisfied, data: data.trend.dissatisfied, backgroundColor: colours.red, yAxisID: "n" },
            ],
        },
        options: {
            scales: {
                s: { min: 1, max: 5, title: { display: true, text: "1–5" } },
                n: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } },
            },
        },
    });

    const levelColours = [colours.yellow, colours.orange, colours.red];
    new Chart(document.getElementById("chart-complaints"), {
        type: "bar",
        data: {
            labels: data.trend.labels,
            datasets: Object.keys(data.trend.complaints).map((level, i) => ({
                label: L.levels[level], data: data.trend.complaints[level], backgroundColor: levelColours[i % 3],
            })),
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });

    // Charts redraw at the paper's width before printing.
    window.addEventListener("beforeprint", () => { for (const id in Chart.instances) Chart.instances[id].resize(); });

    document.addEventListener("DOMContentLoaded", () => {
        document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach((el) => {
            el.removeAttribute("title");
            new bootstrap.Tooltip(el);
        });
    });
})();
