/* early.js: loaded without defer in <head>, before the page is painted, so
 * that a reader who chose the dark theme (or hid the sidebar) never sees a
 * flash of the other one.  site.js does everything else. */
(function () {
  var root = document.documentElement;
  var theme = null, sidebar = null;
  try {
    theme = localStorage.getItem('ipcbook-theme');
    sidebar = localStorage.getItem('ipcbook-sidebar');
  } catch (e) { /* storage disabled */ }
  if (theme !== 'dark' && theme !== 'light') {
    theme = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches
      ? 'dark' : 'light';
  }
  root.setAttribute('data-theme', theme);
  root.style.colorScheme = theme;
  if (sidebar === 'hidden') root.classList.add('sidebar-hidden');
})();
