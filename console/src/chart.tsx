// Rates over the last minutes with uPlot (a canvas, so a table-free summary stands beside it for screen readers).
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { RatePoint, Counts } from "../snapshot.ts";

const SERIES: Array<{ name: keyof Counts; label: string; stroke: string; dash?: number[] }> = [
  { name: "published", label: "published/s", stroke: "#1f5fa8" },
  { name: "stored", label: "stored/s", stroke: "#1d7a3a" },
  { name: "rejected", label: "rejected/s", stroke: "#b3261e", dash: [6, 4] },
  { name: "failed", label: "failed/s", stroke: "#8a4b00", dash: [2, 3] },
];

function columns(history: RatePoint[]): uPlot.AlignedData {
  return [
    history.map((point) => point.at / 1000),
    ...SERIES.map(({ name }) => history.map((point) => point.rates[name])),
  ];
}

export function RateChart({ history }: { history: RatePoint[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  useEffect(() => {
    const element = box.current!;
    const width = () => Math.max(element.clientWidth, 240);
    plot.current = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { label: "per second", size: 60 }],
        series: [
          {},
          ...SERIES.map(({ label, stroke, dash }) => ({ label, stroke, width: 2, ...(dash && { dash }) })),
        ],
        legend: { live: false },
        cursor: { show: true },
      },
      columns(history),
      element,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
    };
  }, []);

  useEffect(() => plot.current?.setData(columns(history)), [history]);

  const last = history[history.length - 1];
  const summary = last
    ? SERIES.map(({ name, label }) => `${label} ${last.rates[name]}`).join(", ")
    : "no samples yet";
  return (
    <figure class="chart">
      <div
        ref={box}
        role="img"
        aria-label={`Rates over the last ${Math.round(history.length / 60)} minutes; now ${summary}`}
      />
      <figcaption class="muted">
        Last {history.length} s, one point a second. Now: {summary}.
      </figcaption>
    </figure>
  );
}
