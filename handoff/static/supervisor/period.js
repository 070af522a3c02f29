// The period form shared by the analytics and knowledge-gap pages: the last 28 days by
// default (as the API), the chosen dates as a query string, and "show" on submit.
const iso = (d) => d.toISOString().slice(0, 10);

export function periodQuery() {
  return new URLSearchParams({
    start: document.getElementById("start").value,
    end: document.getElementById("end").value,
  }).toString();
}

export function periodForm(show) {
  document.getElementById("period-form").addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  const today = new Date();
  document.getElementById("end").value = iso(today);
  document.getElementById("start").value = iso(new Date(today.getTime() - 27 * 86400000));
  show();
}
