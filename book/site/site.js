/* site.js: the reader's side of the HTML book.
 *
 * Loaded with <script defer> from every page (book/templates).  It adds:
 *   - the light/dark theme toggle (the choice persists in localStorage;
 *     without a choice the page follows prefers-color-scheme);
 *   - the sidebar toggle (a drawer on a phone, collapsible on a desktop);
 *   - full-text search (Pagefind's default UI over the index that
 *     `make` builds into build/html/pagefind/);
 *   - a copy button on every code block (the Clipboard API);
 *   - anchor links on headings (AnchorJS, put in front of this file by
 *     mk/site.mk);
 *   - the current section marked in the sidebar; <- and -> for the
 *     previous and next chapter; search words marked after a result click;
 *   - on print, every collapsed answer is opened.
 * site/early.js (in <head>, not deferred) applies the stored theme before
 * the first paint.
 * Everything here is progressive: without JavaScript the book still reads.
 */
(function () {
  'use strict';

  var THEME_KEY = 'ipcbook-theme';
  var SIDEBAR_KEY = 'ipcbook-sidebar';
  var root = document.documentElement;
  /* site/ folder and the site's root, from this script's own URL, so the
   * book also works under a sub-path (GitHub Pages project sites). */
  var here = document.currentScript ? document.currentScript.src : location.href;
  var siteDir = new URL('.', here);
  var siteRoot = new URL('..', siteDir);
  var phone = window.matchMedia('(max-width: 50rem)');

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (e) { /* storage disabled: the choice lasts for this page only */ }
  }
  function stored(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  var ICONS = {
    menu: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6h18M3 12h18M3 18h18"/></svg>',
    sun: '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="4.5"/><path d="M12 1.5v3M12 19.5v3M1.5 12h3M19.5 12h3M4.6 4.6l2.1 2.1M17.3 17.3l2.1 2.1M4.6 19.4l2.1-2.1M17.3 6.7l2.1-2.1"/></svg>',
    moon: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M20.5 14.5A8.5 8.5 0 0 1 9.5 3.5a8.5 8.5 0 1 0 11 11z"/></svg>',
    copy: '<svg viewBox="0 0 24 24" aria-hidden="true"><rect x="8" y="8" width="13" height="13" rx="2"/><path d="M16 8V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h3"/></svg>',
    check: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 12.5l5 5L20 6.5"/></svg>'
  };

  /* ---- theme ------------------------------------------------------- */
  var systemDark = window.matchMedia('(prefers-color-scheme: dark)');
  function currentTheme() {
    return root.getAttribute('data-theme') || (systemDark.matches ? 'dark' : 'light');
  }
  function applyTheme(theme) {
    root.setAttribute('data-theme', theme);
    root.style.colorScheme = theme;
    var btn = document.getElementById('theme-toggle');
    if (btn) {
      var dark = theme === 'dark';
      btn.innerHTML = dark ? ICONS.sun : ICONS.moon;
      btn.setAttribute('aria-label', dark ? '切换到浅色主题' : '切换到深色主题');
      btn.title = btn.getAttribute('aria-label');
      btn.setAttribute('aria-pressed', dark ? 'true' : 'false');
    }
  }
  applyTheme(stored(THEME_KEY) || (systemDark.matches ? 'dark' : 'light'));
  systemDark.addEventListener('change', function (e) {
    if (!stored(THEME_KEY)) applyTheme(e.matches ? 'dark' : 'light');
  });
  var themeBtn = document.getElementById('theme-toggle');
  if (themeBtn) {
    themeBtn.addEventListener('click', function () {
      var next = currentTheme() === 'dark' ? 'light' : 'dark';
      applyTheme(next);
      /* choosing what the system already says means "follow the system" */
      store(THEME_KEY, next === (systemDark.matches ? 'dark' : 'light') ? null : next);
    });
  }

  /* ---- sidebar ----------------------------------------------------- */
  var sidebar = document.getElementById('sidebar');
  var sideBtn = document.getElementById('sidebar-toggle');
  function sidebarOpen() {
    return phone.matches ? root.classList.contains('sidebar-open')
                         : !root.classList.contains('sidebar-hidden');
  }
  function syncSidebarButton() {
    if (!sideBtn) return;
    var open = sidebarOpen();
    sideBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
    sideBtn.setAttribute('aria-label', open ? '隐藏目录' : '显示目录');
    sideBtn.title = sideBtn.getAttribute('aria-label');
    if (sidebar) {
      /* a closed drawer must not take keyboard focus */
      if (open) sidebar.removeAttribute('inert');
      else sidebar.setAttribute('inert', '');
    }
  }
  function setSidebar(open) {
    if (phone.matches) {
      root.classList.toggle('sidebar-open', open);
    } else {
      root.classList.toggle('sidebar-hidden', !open);
      store(SIDEBAR_KEY, open ? null : 'hidden');
    }
    syncSidebarButton();
  }
  if (sidebar && sideBtn) {
    sideBtn.innerHTML = ICONS.menu;
    sideBtn.setAttribute('aria-controls', 'sidebar');
    if (stored(SIDEBAR_KEY) === 'hidden') root.classList.add('sidebar-hidden');
    sideBtn.addEventListener('click', function () { setSidebar(!sidebarOpen()); });
    /* on a phone the drawer closes when the reader picks a chapter,
     * taps beside it, or presses Escape */
    sidebar.addEventListener('click', function (e) {
      if (phone.matches && e.target.closest('a')) setSidebar(false);
    });
    document.addEventListener('click', function (e) {
      if (phone.matches && sidebarOpen() && !sidebar.contains(e.target) &&
          !sideBtn.contains(e.target)) setSidebar(false);
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && phone.matches && sidebarOpen()) {
        setSidebar(false);
        sideBtn.focus();
      }
    });
    phone.addEventListener('change', function () {
      root.classList.remove('sidebar-open');
      syncSidebarButton();
    });
    /* show the current chapter in the list */
    var page = location.pathname.split('/').pop() || 'index.html';
    var links = sidebar.querySelectorAll('a[href]');
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute('href').split('#')[0];
      if (href === page) {
        links[i].setAttribute('aria-current', 'page');
        if (links[i].scrollIntoView && !phone.matches) {
          links[i].scrollIntoView({ block: 'nearest' });
        }
        break;
      }
    }
    syncSidebarButton();
  }

  /* ---- copy buttons ------------------------------------------------ */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return Promise.reject(new Error('no clipboard'));
  }
  /* What a button copies: the code; for a console transcript, the commands
   * only (the lines after the "$ " prompt), which is what a reader pastes
   * into a shell.  A transcript without a prompt is copied whole. */
  function textToCopy(pre) {
    var text = (pre.querySelector('code') || pre).textContent.replace(/\n$/, '');
    if (pre.classList.contains('console')) {
      var cmds = text.split('\n').filter(function (l) { return /^\$ /.test(l); });
      if (cmds.length) return cmds.map(function (l) { return l.slice(2); }).join('\n');
    }
    return text;
  }
  var blocks = document.querySelectorAll('#content pre');
  Array.prototype.forEach.call(blocks, function (pre) {
    var isConsole = pre.classList.contains('console') &&
                    /^\$ /m.test((pre.querySelector('code') || pre).textContent);
    var label = isConsole ? '复制命令' : '复制代码';
    var box = pre.parentElement;
    if (!box.classList.contains('sourceCode')) {
      box = document.createElement('div');
      box.className = 'code-box';
      pre.parentNode.insertBefore(box, pre);
      box.appendChild(pre);
    }
    box.classList.add('has-copy');
    if (pre.classList.contains('console')) box.classList.add('console-box');
    var btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'copy-button';
    btn.innerHTML = ICONS.copy;
    btn.setAttribute('aria-label', label);
    btn.title = label;
    btn.addEventListener('click', function () {
      copyText(textToCopy(pre)).then(function () {
        btn.innerHTML = ICONS.check;
        btn.classList.add('copied');
        btn.setAttribute('aria-label', '已复制');
        btn.title = '已复制';
      }, function () {
        /* no Clipboard API (an old browser, or http:// on another host):
         * select the code so that Ctrl+C copies it */
        var range = document.createRange();
        range.selectNodeContents(pre.querySelector('code') || pre);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        btn.title = '已选中，按 Ctrl+C 复制';
      }).then(function () {
        setTimeout(function () {
          btn.innerHTML = ICONS.copy;
          btn.classList.remove('copied');
          btn.setAttribute('aria-label', label);
          btn.title = label;
        }, 1600);
      });
    });
    box.insertBefore(btn, box.firstChild);
  });

  /* ---- inline code ------------------------------------------------- */
  /* A browser may break a line after the "-" of "-Wall" or inside "a.b".
   * Short inline code (up to 24 characters: fits any phone) is kept whole. */
  Array.prototype.forEach.call(document.querySelectorAll('#content :not(pre) > code'), function (c) {
    if (c.textContent.length <= 24) c.classList.add('nobreak');
  });

  /* ---- heading anchors (AnchorJS) ---------------------------------- */
  if (window.AnchorJS) {
    var anchors = new window.AnchorJS({ placement: 'right', visible: 'hover', icon: '#' });
    /* pandoc puts the id on the heading, or with --section-divs on its
     * <section>: give AnchorJS the id that links already use */
    var heads = document.querySelectorAll('#content h2, #content h3, #content h4');
    Array.prototype.forEach.call(heads, function (h) {
      var sec = h.parentElement;
      if (!h.id && sec && sec.tagName === 'SECTION' && sec.id &&
          sec.firstElementChild === h) {
        h.setAttribute('data-anchor-id', sec.id);
      }
    });
    anchors.add('#content h2[id], #content h3[id], #content h4[id]');
    anchors.add('#content h2[data-anchor-id], #content h3[data-anchor-id], #content h4[data-anchor-id]');
    Array.prototype.forEach.call(document.querySelectorAll('[data-anchor-id] > .anchorjs-link'), function (a) {
      a.setAttribute('href', '#' + a.parentElement.getAttribute('data-anchor-id'));
    });
    Array.prototype.forEach.call(document.querySelectorAll('.anchorjs-link'), function (a) {
      a.setAttribute('aria-label', '本节链接');
    });
  }

  /* ---- search (Pagefind) ------------------------------------------- */
  var searchBox = document.getElementById('search');
  function searchUnavailable(why) {
    searchBox.innerHTML = '';
    var input = document.createElement('input');
    input.type = 'search';
    input.disabled = true;
    input.className = 'search-off';
    input.placeholder = '搜索不可用';
    input.title = why;
    input.setAttribute('aria-label', '搜索不可用：' + why);
    searchBox.appendChild(input);
  }
  if (searchBox) {
    if (location.protocol === 'file:') {
      /* browsers refuse the module import Pagefind needs on file:// */
      searchUnavailable('从本地文件打开时浏览器禁止加载搜索索引；请运行 make serve，再打开它给出的地址');
    } else {
      var pagefindDir = new URL('pagefind/', siteRoot).href;
      var css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = pagefindDir + 'pagefind-ui.css';
      document.head.appendChild(css);
      var s = document.createElement('script');
      s.src = pagefindDir + 'pagefind-ui.js';
      s.onload = function () {
        /* eslint-disable-next-line no-undef */
        new PagefindUI({
          element: '#search',
          bundlePath: pagefindDir,
          showSubResults: true,
          showImages: false,
          excerptLength: 24,
          resetStyles: true,
          autofocus: false,
          highlightParam: 'highlight',
          translations: { placeholder: '搜索全书' }
        });
        var input = searchBox.querySelector('input');
        if (input) input.setAttribute('aria-label', '搜索全书');
        /* close the results when the reader clicks elsewhere or presses Escape */
        document.addEventListener('click', function (e) {
          if (!searchBox.contains(e.target)) root.classList.remove('search-active');
        });
        searchBox.addEventListener('focusin', function () { root.classList.add('search-active'); });
        searchBox.addEventListener('keydown', function (e) {
          if (e.key === 'Escape') {
            root.classList.remove('search-active');
            if (input) input.blur();
          }
        });
        /* "/" focuses the search box, as on many documentation sites */
        document.addEventListener('keydown', function (e) {
          if (e.key === '/' && input && document.activeElement !== input &&
              !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
            e.preventDefault();
            input.focus();
          }
        });
      };
      s.onerror = function () { searchUnavailable('没有找到搜索索引（运行 make 生成）'); };
      document.head.appendChild(s);

      /* arriving from a search result (?highlight=管道): mark the words */
      if (new URLSearchParams(location.search).has('highlight')) {
        import(pagefindDir + 'pagefind-highlight.js').then(function () {
          /* eslint-disable-next-line no-new */
          new window.PagefindHighlight({
            highlightParam: 'highlight',
            markContext: '#content',
            addStyles: false,
            markOptions: { className: 'search-hit', exclude: ['.anchorjs-link', '.copy-button'] }
          });
          var first = document.querySelector('#content mark.search-hit');
          if (first && !location.hash) first.scrollIntoView({ block: 'center' });
        });
      }
    }
  }

  /* ---- where am I: the current section in the sidebar ----------------- */
  var sectionLinks = sidebar ? sidebar.querySelectorAll('.section-list a[href^="#"]') : [];
  if (sectionLinks.length && 'IntersectionObserver' in window) {
    var byId = {};
    var heads = [];
    Array.prototype.forEach.call(sectionLinks, function (a) {
      var id = decodeURIComponent(a.getAttribute('href').slice(1));
      var h = document.getElementById(id);
      if (h) { byId[id] = a; heads.push(h); }
    });
    var markCurrent = function () {
      /* the last section heading above the upper third of the window */
      var line = window.innerHeight / 3, current = null;
      for (var i = 0; i < heads.length; i++) {
        if (heads[i].getBoundingClientRect().top <= line) current = heads[i];
        else break;
      }
      Array.prototype.forEach.call(sectionLinks, function (a) { a.classList.remove('in-view'); });
      if (current) byId[current.id].classList.add('in-view');
    };
    var io = new IntersectionObserver(markCurrent, { rootMargin: '0px 0px -66% 0px' });
    heads.forEach(function (h) { io.observe(h); });
    markCurrent();
  }

  /* ---- keyboard: ← and → go to the previous and next chapter --------- */
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || e.defaultPrevented) return;
    var active = document.activeElement;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) || active.closest('pre, table, details')) return;
    var rel = e.key === 'ArrowLeft' ? 'prev' : e.key === 'ArrowRight' ? 'next' : null;
    var link = rel && document.querySelector('#content a[rel="' + rel + '"]');
    if (link) location.href = link.href;
  });

  /* ---- print: open every collapsed answer -------------------------- */
  var closedForPrint = [];
  window.addEventListener('beforeprint', function () {
    closedForPrint = Array.prototype.filter.call(document.querySelectorAll('details:not([open])'),
      function (d) { d.open = true; return true; });
  });
  window.addEventListener('afterprint', function () {
    closedForPrint.forEach(function (d) { d.open = false; });
    closedForPrint = [];
  });
})();
