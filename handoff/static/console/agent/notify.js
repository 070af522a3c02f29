// Telling the agent something happened without making them look: a polite screen-reader
// announcement, the number of waiting customers in the tab title (with "nieuw" while the
// tab is in the background), and an optional short tone.

const baseTitle = document.title;
const announcer = () => document.getElementById("announcer");
let waiting = 0;
let unseen = 0;
let audio = null;

function updateTitle() {
  const parts = [];
  if (unseen > 0) parts.push(`(${unseen} nieuw)`);
  else if (waiting > 0) parts.push(`(${waiting})`);
  document.title = [...parts, baseTitle].join(" ");
}

export function announce(text) {
  const box = announcer();
  if (!box) return;
  // Emptied first so the same sentence twice is announced twice.
  box.textContent = "";
  setTimeout(() => {
    box.textContent = text;
  }, 50);
}

export function setWaitingCount(count) {
  waiting = count;
  updateTitle();
}

export function newCustomerWaiting(reasonText) {
  if (document.hidden) unseen += 1;
  updateTitle();
  announce(`Nieuwe klant in de wachtrij: ${reasonText || "reden onbekend"}`);
  if (soundOn()) beep();
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) {
    unseen = 0;
    updateTitle();
  }
});

const SOUND_KEY = "agent-console-sound";

export function soundOn() {
  return localStorage.getItem(SOUND_KEY) === "on";
}

export function bindSoundToggle(checkbox) {
  checkbox.checked = soundOn();
  checkbox.addEventListener("change", () => {
    localStorage.setItem(SOUND_KEY, checkbox.checked ? "on" : "off");
    // Browsers allow audio only after a gesture: this click is one.
    if (checkbox.checked) beep();
  });
}

function beep() {
  try {
    audio = audio || new AudioContext();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.35);
  } catch {
    // No audio device: the title and the announcement still tell.
  }
}
