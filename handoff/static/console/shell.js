// What every console page shares: logging out.
import { api, flash } from "/static/console/api.js";

const logout = document.getElementById("logout");
if (logout) {
  logout.addEventListener("click", async () => {
    try {
      await api("POST", "/api/auth/logout");
    } catch (error) {
      if (error.status !== 401) {
        flash(error.message);
        return;
      }
    }
    location.assign("/console/login");
  });
}
