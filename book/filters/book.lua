--[[ book.lua: the book's pandoc filter (pandoc 2.17).

Renders the literate-programming conventions of DESIGN.md for HTML (one page
per chapter), EPUB and LaTeX (the whole book in one document):

  * tangle blocks (```{.c #name} / ```{.c file=PATH}) get a label ("代码 2.3
    «name» ≡"), an anchor that stays unique when a chunk is appended in several
    blocks, "定义于 / 追加于 / 用于" links, and every <<name>> line in the code
    becomes a link to the chunk's first block;
  * the block that defines a cmocka test function NAME gets the anchor
    test-NAME, and [text]{.claim test=NAME} links to it;
  * ::: {.answer} divs are collapsible in HTML, a labelled block elsewhere;
  * ```{.console run="DIR/NAME ARGS"} blocks show the command line first;
  * figures are numbered per chapter ("图 2.1"), and an empty link to a figure,
    code block, section or chapter gets its number as text;
  * links to other chapters (02-pipe.md#sec) point at the HTML page, or at the
    anchor inside the combined PDF/EPUB;
  * section numbers (HTML, EPUB) follow the chapter number in the file name;
    a chapter's tests (NN-slug-tests.md) and harness (NN-slug-harness.md)
    are appendices, lettered in reading order ("附录 B", "代码 B.1"; LaTeX
    gets \appendix before the first), grouped in the sidebar and the front
    page's contents, and each chapter ends with a pointer to its own;
  * no space between two CJK characters where a source line broke next to a
    link or emphasis (pandoc's east_asian_line_breaks does the rest);
  * HTML: code blocks and tables are focusable (they scroll), a block with
    <<references>> carries its expansion for the copy button (a file block:
    the whole tangled file), references show their listing number; the
    combined document rendered to HTML is print.html; each page links to its
    source (metadata repository); EPUB: answers move to the chapter's end.

The book-wide data (which block defines which chunk, where each test lives,
figure numbers, the chapter list) comes from build/book/index.lua, written by
book/tools/index.py from the ASTs of all chapters.  Metadata:
  book-index   path of index.lua (required)
  book-page    "02-pipe" for a chapter page, "index" for the front page;
               absent for the combined document (PDF, EPUB).
]]

local stringify = pandoc.utils.stringify

local IDX              -- the index table
local PAGE             -- current page name, or nil in the combined document
local is_html = FORMAT:match("html") ~= nil
local is_epub = FORMAT:match("epub") ~= nil
local is_latex = FORMAT:match("latex") ~= nil
local web = is_html or is_epub          -- HTML-like output

-- Sequences in document order, matched one by one against what we meet.
local block_seq, section_seq, figure_seq = {}, {}, {}
local block_i, section_i, figure_i = 0, 0, 0
local chapter_of_page = {}              -- page -> chapter entry
local epub_file = {}                    -- page -> "ch00N.xhtml"
local code_counter = 0
local latex_in_appendix = false
local latex_mainmatter = false          -- \mainmatter written yet?

local function warn(msg)
  io.stderr:write("book.lua: " .. msg .. "\n")
end

-- Where an anchor on PAGE is, seen from the current output.
local function href(page, anchor)
  local frag = anchor and ("#" .. anchor) or ""
  if PAGE then
    if page == PAGE and anchor then return frag end
    return page .. ".html" .. frag
  end
  if not anchor then
    local ch = chapter_of_page[page]
    return "#" .. (ch and ch.id or page)
  end
  return frag
end

-- The same link inside raw HTML written by us: in the EPUB every chapter is
-- its own file (ch001.xhtml, ...), and pandoc rewrites only the AST's links.
local function raw_href(page, anchor)
  if is_epub and epub_file[page] then
    return epub_file[page] .. "#" .. anchor
  end
  return href(page, anchor)
end

local function load_index(meta)
  local path = meta["book-index"] and stringify(meta["book-index"])
  if not path then
    error("book.lua: metadata book-index (path of index.lua) is missing")
  end
  IDX = dofile(path)
  PAGE = meta["book-page"] and stringify(meta["book-page"]) or nil
  for i, ch in ipairs(IDX.chapters) do
    chapter_of_page[ch.page] = ch
    epub_file[ch.page] = string.format("ch%03d.xhtml", i)
    if PAGE == nil or PAGE == ch.page then
      for _, a in ipairs(ch.blocks or {}) do block_seq[#block_seq + 1] = a end
      for _, s in ipairs(ch.sections or {}) do section_seq[#section_seq + 1] = s end
      for _, f in ipairs(ch.figs or {}) do figure_seq[#figure_seq + 1] = f end
    end
  end
end

---------------------------------------------------------------------------
-- Metadata for the HTML template: title, chapter list, sections, prev/next.

local function chapter_label(ch)
  if ch.num then return "第 " .. ch.num .. " 章" end
  if ch.appendix then return "附录 " .. ch.appendix end
  return nil
end

local function page_meta(meta)
  local book_title = meta.title and stringify(meta.title) or ""
  meta["book-title"] = pandoc.MetaString(book_title)
  if not is_html then
    if is_latex then meta.lang = nil end   -- pandoc 2.17's babel line fails
    return meta
  end
  -- The sidebar: chapters, then the appendices under their own heading.
  local list, appendices = pandoc.List(), pandoc.List()
  local cur
  for _, ch in ipairs(IDX.chapters) do
    local item = { html = pandoc.MetaString(ch.html),
                   title = pandoc.MetaString(ch.title) }
    if ch.num then item.number = pandoc.MetaString(tostring(ch.num)) end
    if ch.appendix then item.number = pandoc.MetaString(ch.appendix) end
    if ch.page == PAGE then
      item.current = true
      cur = ch
    end
    if ch.appendix then
      appendices:insert(pandoc.MetaMap(item))
    else
      list:insert(pandoc.MetaMap(item))
    end
  end
  meta["book-chapters"] = pandoc.MetaList(list)
  if #appendices > 0 then meta["book-appendices"] = pandoc.MetaList(appendices) end
  if cur then
    local secs = pandoc.List()
    for _, s in ipairs(cur.sections) do
      if s.level == 2 then
        local m = { id = pandoc.MetaString(s.id), title = pandoc.MetaString(s.title) }
        if s.number then m.number = pandoc.MetaString(s.number) end
        secs:insert(pandoc.MetaMap(m))
      end
    end
    meta["book-sections"] = pandoc.MetaList(secs)
    local lbl = chapter_label(cur)
    meta.pagetitle = pandoc.MetaString((lbl and (lbl .. " ") or "") .. cur.title .. " - " .. book_title)
    meta["book-source"] = pandoc.MetaString(cur.file)
    local repo = meta.repository and stringify(meta.repository)
    if repo and repo ~= "" then
      local branch = meta["repository-branch"] and stringify(meta["repository-branch"]) or "main"
      meta["book-edit"] = pandoc.MetaString(repo:gsub("/+$", "") .. "/edit/" .. branch .. "/" .. cur.file)
    end
    for _, key in ipairs({ "prev", "next" }) do
      local other = cur[key] and chapter_of_page[cur[key]]
      if other then
        meta["book-" .. key] = pandoc.MetaMap({
          html = pandoc.MetaString(other.html),
          title = pandoc.MetaString(other.title) })
      end
    end
    if not cur.prev then
      meta["book-prev"] = pandoc.MetaMap({ html = pandoc.MetaString("index.html"),
                                           title = pandoc.MetaString("目录") })
    end
  else
    meta.pagetitle = pandoc.MetaString(book_title)
    if PAGE == "index" and IDX.chapters[1] then
      -- the front page leads to the first chapter
      local first = IDX.chapters[1]
      meta["book-next"] = pandoc.MetaMap({ html = pandoc.MetaString(first.html),
                                           title = pandoc.MetaString(first.title) })
    elseif not PAGE then
      meta["book-print"] = true
      meta.pagetitle = pandoc.MetaString(book_title .. "（全书，供打印）")
    end
  end
  meta.lang = pandoc.MetaString("zh-CN")
  return meta
end

---------------------------------------------------------------------------
-- Inline elements: claims, links, images.

local function number_of_target(target)
  local page, anchor = target:match("^([%w_%-]+)%.md#(.+)$")
  if not page then
    local p = target:match("^([%w_%-]+)%.md$")
    if p then
      local ch = chapter_of_page[p]
      return ch and chapter_label(ch)
    end
    anchor = target:match("^#(.+)$")
  end
  if not anchor then return nil end
  if IDX.figures[anchor] then return "图 " .. IDX.figures[anchor].number end
  local b = IDX.blocks[anchor]
  if b then return "代码 " .. b.label end
  for _, ch in ipairs(IDX.chapters) do
    if ch.id == anchor then return chapter_label(ch) or ch.title end
    for _, s in ipairs(ch.sections) do
      if s.id == anchor then return s.number and (s.number .. " 节") or s.title end
    end
  end
  return nil
end

local function Link(el)
  local t = el.target
  if #el.content == 0 then
    local n = number_of_target(t)
    if n then el.content = { pandoc.Str(n) } end
  end
  local page, frag = t:match("^%.?/?([%w_%-]+)%.md(#?.*)$")
  if not page then
    page, frag = t:match("^%.%./chapters/([%w_%-]+)%.md(#?.*)$")
  end
  if page then
    if not chapter_of_page[page] then
      warn("link to a chapter that is not in book/chapters.txt: " .. t)
    end
    if PAGE then
      el.target = page .. ".html" .. frag
    else
      el.target = frag ~= "" and frag or href(page, nil)
    end
  end
  return el
end

local function Span(el)
  if not el.classes:includes("claim") then return nil end
  local name = el.attributes.test or ""
  local test = IDX.tests[name]
  el.attributes.test = nil
  if web then el.attributes["data-test"] = name end
  if test then
    local link = pandoc.Link({ pandoc.Str("测试") },
                             href(test.page, "test-" .. name), "由测试 " .. name .. " 验证")
    link.classes = { "claim-test" }
    el.content:insert(pandoc.Superscript({ link }))
  else
    warn("claim names unknown test " .. name)
    el.classes:insert("claim-missing")
    el.content:insert(pandoc.Superscript({ pandoc.Str("[测试缺失：" .. name .. "]") }))
  end
  return el
end

---------------------------------------------------------------------------
-- LaTeX: punctuation and units in Chinese text.  pandoc writes “” as ``''
-- and —— as ------, which TeX sets in the Latin font (half width, and a
-- line may break between the two dashes); written as the characters
-- themselves, xeCJK sets them as Chinese punctuation.  A number and its
-- unit ("64 B") are not split across lines.

local cjk_punct = { ["“"] = true, ["”"] = true, ["‘"] = true, ["’"] = true,
                    ["—"] = true, ["…"] = true }
local units = {}
for u in ("B KiB MiB GiB KB MB GB ms µs us ns s MB/s GB/s"):gmatch("%S+") do units[u] = true end

local function latex_str(el)
  if not el.text:find("[\226]") then return nil end
  local out, buf = pandoc.List(), {}
  for _, c in utf8.codes(el.text) do
    local ch = utf8.char(c)
    if cjk_punct[ch] then
      if #buf > 0 then out:insert(pandoc.Str(table.concat(buf))); buf = {} end
      out:insert(pandoc.RawInline("latex", ch))
    else
      buf[#buf + 1] = ch
    end
  end
  if #out == 0 then return nil end
  if #buf > 0 then out:insert(pandoc.Str(table.concat(buf))) end
  return out
end

local function latex_quoted(el)
  local q = el.quotetype == "DoubleQuote" and { "“", "”" } or { "‘", "’" }
  local out = pandoc.List({ pandoc.RawInline("latex", q[1]) })
  out:extend(el.content)
  out:insert(pandoc.RawInline("latex", q[2]))
  return out
end

local function latex_inlines(inl)
  local changed = false
  for i = 2, #inl - 1 do
    local a, s, b = inl[i - 1], inl[i], inl[i + 1]
    if s.t == "Space" and a.t == "Str" and b.t == "Str" and a.text:match("%d$") then
      local u = b.text:match("^[%w/\194\181]+")
      if u and units[u] then
        inl[i] = pandoc.RawInline("latex", "~")
        changed = true
      end
    end
  end
  return changed and inl or nil
end

---------------------------------------------------------------------------
-- Blocks: headers, figures, code blocks, answers.

local function Header(el)
  if PAGE == "index" then return nil end
  section_i = section_i + 1
  local s = section_seq[section_i]
  if el.level == 1 and not PAGE and is_latex then
    -- Keep LaTeX's chapter numbers equal to the file-name numbers.
    -- (Appendices: see Pandoc below.)
    local ch
    for _, c in ipairs(IDX.chapters) do if c.id == el.identifier then ch = c end end
    if ch and ch.num then
      local pre = "\\setcounter{chapter}{" .. (ch.num - 1) .. "}"
      if not latex_mainmatter then
        latex_mainmatter = true
        pre = "\\mainmatter\n" .. pre
      end
      return { pandoc.RawBlock("latex", pre), el }
    end
    if ch and not ch.num and not el.classes:includes("unnumbered") then
      el.classes:insert("unnumbered")
    end
    -- An unnumbered chapter sets no running head by itself.
    local title = pandoc.write(pandoc.Pandoc({ pandoc.Plain(el.content) }), "latex"):gsub("%s+$", "")
    return { el, pandoc.RawBlock("latex", "\\markboth{" .. title .. "}{" .. title .. "}") }
  end
  if not s or s.id ~= el.identifier then
    warn("section sequence out of step at " .. el.identifier)
    return nil
  end
  if web and s.number then
    local shown = s.number
    if el.level == 1 and not s.number:match("^%d") then shown = "附录\u{A0}" .. s.number end
    local num = pandoc.Span({ pandoc.Str(shown) }, { class = "header-section-number" })
    el.content:insert(1, pandoc.Space())
    el.content:insert(1, num)
  end
  if (el.level == 1 or is_latex) and not el.classes:includes("unnumbered") and not s.number then
    -- (In LaTeX also the sections of an unnumbered chapter: the preface's,
    -- unnumbered as in the HTML.)
    el.classes:insert("unnumbered")
  end
  return el
end

local function figure(el)
  if #el.content ~= 1 or el.content[1].t ~= "Image" then return nil end
  local img = el.content[1]
  figure_i = figure_i + 1
  local number = figure_seq[figure_i]
  local src = img.src
  local name = src:match("^figures/([^/]+)%.svg$")
  if name then
    if is_latex then
      img.src = "build/figures/" .. name .. ".pdf"
      local f = io.open(img.src, "r")
      if f then
        f:close()
      else
        -- Keep the PDF building; `make check-book` reports the missing
        -- figure (its <img> in the HTML does not resolve).
        warn("figure source figures/" .. name .. ".{dot,svg} does not exist")
        return pandoc.Para({ pandoc.Strong({ pandoc.Str("[缺少图：" .. src .. "]") }) })
      end
    elseif is_epub then
      img.src = "build/figures/" .. name .. ".svg"
    end
  end
  if web and number then
    img.caption:insert(1, pandoc.Space())
    img.caption:insert(1, pandoc.Span({ pandoc.Str("图 " .. number) }, { class = "figure-number" }))
  end
  if not img.title:match("^fig:") then img.title = "fig:" .. img.title end
  return el
end

-- Render a link (to PAGE#ANCHOR, text TEXT) in the output format, for use
-- inside raw code.
local function raw_link(page, anchor, text)
  if is_latex then
    local doc = pandoc.Pandoc({ pandoc.Plain({ pandoc.Link({ pandoc.Str(text) }, "#" .. anchor) }) })
    return (pandoc.write(doc, "latex"):gsub("%s+$", ""))
  end
  local esc = text:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
  return '<a class="chunk-ref" href="' .. raw_href(page, anchor) .. '">' .. esc .. "</a>"
end

-- Render a code block to raw output, with every <<name>> line linked.
-- Every code block goes through here, so the main writer never highlights
-- (the highlighting CSS/macros come from build/html/highlight.css and
-- build/book/highlight.tex, the same for every page).
local function raw_code(cb, code_id)
  local refs = {}
  local text = cb.text:gsub("[^\n]+", function(line)
    local indent, name = line:match("^(%s*)<<([%w][%w_.:%-]*)>>%s*$")
    if not name then return line end
    refs[#refs + 1] = name
    return indent .. "ZZCHUNKREF" .. #refs .. "ZZ"
  end)
  local lang = {}
  for _, c in ipairs(cb.classes) do
    if c ~= "console" or #lang == 0 then lang[#lang + 1] = c end
  end
  local attr = pandoc.Attr(code_id or "", lang, {})
  local fmt = is_latex and "latex" or "html"
  local out = pandoc.write(pandoc.Pandoc({ pandoc.CodeBlock(text, attr) }), fmt)
  if is_html then
    -- a code block scrolls sideways: keyboard users must reach it
    -- Search: in a chapter's reading flow only the prose is indexed, so that
    -- result excerpts are sentences, not code; an appendix (tests, harness)
    -- is code, and stays searchable by identifier.
    local ch = PAGE and chapter_of_page[PAGE]
    local ignore = (ch and not ch.appendix) and " data-pagefind-ignore" or ""
    out = out:gsub("<pre(%s)", '<pre tabindex="0"' .. ignore .. "%1", 1)
  end
  out = out:gsub("ZZCHUNKREF(%d+)ZZ", function(n)
    local name = refs[tonumber(n)]
    local chunk = IDX.chunks[name]
    local shown = "<<" .. name .. ">>"
    if is_latex then shown = "«" .. name .. "»" end
    if not chunk then return (is_latex and shown or shown:gsub("<", "&lt;"):gsub(">", "&gt;")) end
    local first = chunk.defs[1]
    local link = raw_link(IDX.blocks[first].page, first, shown)
    if web then
      -- the listing number beside the reference: where to read it
      link = link .. '<span class="chunk-ref-label"> 代码 ' .. IDX.blocks[first].label .. '</span>'
    end
    return link
  end)
  if is_latex then
    -- fvextra: let long lines wrap (see book/templates/preamble.tex); plain
    -- blocks are shaded like highlighted ones.
    -- A long line may also wrap between two highlighted tokens (fvextra
    -- breaks only between the characters outside them).
    out = out:gsub("}(\\%a+Tok{)", "}\\allowbreak%1")
    out = out:gsub("\\begin{verbatim}", "\\begin{Shaded}\n\\begin{Verbatim}[breaklines,breakanywhere]")
             :gsub("\\end{verbatim}", "\\end{Verbatim}\n\\end{Shaded}")
  end
  return pandoc.RawBlock(fmt, out)
end

local function xref_links(prefix, anchors)
  local inl = pandoc.List({ pandoc.Str(prefix) })
  for i, a in ipairs(anchors) do
    local b = IDX.blocks[a]
    inl:insert(pandoc.Space())
    -- "用于 代码 2.1", not "用于 2.1" (which reads like section 2.1)
    inl:insert(pandoc.Link({ pandoc.Str("代码 " .. b.label) }, href(b.page, a)))
    if i < #anchors then inl:insert(pandoc.Str("，")) end
  end
  return inl
end

local function tangle_block(cb)
  block_i = block_i + 1
  local anchor = block_seq[block_i]
  local b = anchor and IDX.blocks[anchor]
  local name = cb.identifier ~= "" and cb.identifier or nil
  if not b or b.name ~= name or b.file ~= cb.attributes.file then
    warn("tangle block sequence out of step at block " .. block_i)
    return nil
  end
  code_counter = code_counter + 1
  -- Label: 代码 2.3 «name» ≡   /   代码 2.1 文件 pipe/pipe_demo.c
  local label = pandoc.List({ pandoc.Strong({ pandoc.Str("代码 " .. b.label) }), pandoc.Space() })
  if name then
    label:insert(pandoc.Code("«" .. name .. "»"))
    label:insert(pandoc.Space())
    -- (LaTeX: ≡ comes from the CJK face, see book/templates/preamble.tex.)
    label:insert(pandoc.Str(b.kind == "append" and "+≡" or "≡"))
    if b.file then
      label:insert(pandoc.Space())
      label:insert(pandoc.Str("文件"))
      label:insert(pandoc.Space())
      label:insert(pandoc.Code(b.file))
    end
  else
    label:insert(pandoc.Str("文件"))
    label:insert(pandoc.Space())
    label:insert(pandoc.Code(b.file))
  end
  -- Cross references below the block.
  local xref = pandoc.List()
  local function add(inl)
    if #xref > 0 then xref:insert(pandoc.Str("；")) end
    xref:extend(inl)
  end
  if name then
    local chunk = IDX.chunks[name]
    if b.kind == "append" then
      add(xref_links("追加到", { chunk.defs[1] }))
    elseif #chunk.defs > 1 then
      local rest = {}
      for i = 2, #chunk.defs do rest[#rest + 1] = chunk.defs[i] end
      add(xref_links("追加于", rest))
    end
    if #chunk.users > 0 then add(xref_links("用于", chunk.users)) end
  end
  local out = pandoc.List()
  for _, t in ipairs(b.tests or {}) do
    out:insert(pandoc.Div({}, { id = "test-" .. t }))
  end
  local body = pandoc.List({ pandoc.Div({ pandoc.Plain(label) }, { class = "chunk-label" }),
                             raw_code(cb, web and (anchor .. "-code") or nil) })
  if is_latex then
    -- The label stays on the page of its code.
    body:insert(1, pandoc.RawBlock("latex", "\\booklabelkeep"))
    body:insert(3, pandoc.RawBlock("latex", "\\nopagebreak"))
  end
  if #xref > 0 then
    body:insert(pandoc.Div({ pandoc.Plain(xref) }, { class = "chunk-xref" }))
  end
  if is_html and b.expanded then
    -- what the copy button copies: the references expanded (site.js)
    local esc = b.expanded:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
    body:insert(pandoc.RawBlock("html", '<template class="chunk-expanded" data-pagefind-ignore'
      .. (b.file and ' data-file="' .. b.file .. '"' or "") .. ">" .. esc .. "</template>"))
  end
  local cls = "chunk chunk-" .. b.kind
  local div = pandoc.Div(body, { id = anchor, class = cls })
  -- Test code that still stands in a chapter's reading flow (chapter 1's
  -- test helpers) is collapsed in HTML: the reader opens it on purpose.
  -- A block with class show-test stays open (one test shown in full,
  -- where seeing how a claim is proven teaches something).
  local ch = PAGE and chapter_of_page[PAGE]
  if is_html and ch and not ch.appendix and cb.text:match("assert_[%w_]+%s*%(")
     and not cb.classes:includes("show-test") then
    local what = name and ("«" .. name .. "»") or ("文件 " .. b.file)
    out:insert(pandoc.RawBlock("html", '<details class="test-code"><summary>代码 ' .. b.label
      .. " " .. what:gsub("&", "&amp;"):gsub("<", "&lt;") .. "：测试用的代码，点击展开</summary>"))
    out:insert(div)
    out:insert(pandoc.RawBlock("html", "</details>"))
  else
    out:insert(div)
  end
  return out
end

local function console_block(cb)
  local cmd = "$ build/bin/" .. cb.attributes.run
  local status = cb.attributes.status
  local text = cmd .. "\n" .. cb.text
  if status and status ~= "0" then
    text = text .. "\n(退出状态 " .. status .. ")"
  end
  code_counter = code_counter + 1
  return raw_code(pandoc.CodeBlock(text, pandoc.Attr("", { "console" }, {})),
                  web and ("console-" .. code_counter) or nil)
end

local function CodeBlock(cb)
  if cb.identifier ~= "" or cb.attributes.file then
    return tangle_block(cb)
  end
  if cb.classes:includes("console") and cb.attributes.run then
    return console_block(cb)
  end
  code_counter = code_counter + 1
  return raw_code(cb, web and ("code-" .. code_counter) or nil)
end

-- HTML comments are invisible anyway; dropping them matters for the EPUB,
-- where a comment before a chapter's title would become a file of its own
-- and shift the chNNN.xhtml names that raw_href relies on.
local function RawBlock(el)
  if el.format == "html" and el.text:match("^%s*<!%-%-.*%-%->%s*$") then
    return {}
  end
  return nil
end

local function Div(el)
  if not el.classes:includes("answer") then return nil end
  if is_html then
    local out = pandoc.List({ pandoc.RawBlock("html", '<details class="answer"><summary>答案</summary>') })
    out:extend(el.content)
    out:insert(pandoc.RawBlock("html", "</details>"))
    return out
  end
  el.content:insert(1, pandoc.Para({ pandoc.Strong({ pandoc.Str("答案") }) }))
  if is_latex then
    -- "答案" stays on the page of the answer.
    el.content:insert(2, pandoc.RawBlock("latex", "\\nopagebreak"))
    local out = pandoc.List({ pandoc.RawBlock("latex", "\\booklabelkeep\n\\begin{answerbox}") })
    out:extend(el.content)
    out:insert(pandoc.RawBlock("latex", "\\end{answerbox}"))
    return out
  end
  return el
end

-- LaTeX: tables are set in \small with 4 pt column padding.  A pipe table
-- whose columns have no widths is set in one line per row (lll...), which
-- runs off the page when the cells are long: give such a table column
-- widths in proportion to its longest cells, so they wrap, but keep every
-- column as wide as its longest unbreakable word, and, when they all fit,
-- as wide as the longest piece of its header, split at spaces and after
-- "：" (such a piece is then kept in one \mbox: "不绑定：中/位数" never).

local TABLE_UNIT = 6.1     -- pt: a Latin digit at \small (10.95 pt)
local TABLE_PAD = 8        -- pt: 2 x \tabcolsep
local TEXT_WIDTH = 459     -- pt: A4 less 2 x 2.4 cm

-- Width in units of a Latin digit: a Chinese character counts two.
local function disp_width(s)
  local w = 0
  for _, c in utf8.codes(s) do w = w + (c >= 0x2E80 and 2 or 1) end
  return w
end

-- The pieces of header text that should not break.
local function header_pieces(s)
  local out = {}
  for w in s:gmatch("%S+") do
    local start = 1
    while true do
      local a, b = w:find("：", start, true)
      if not a then break end
      out[#out + 1] = w:sub(start, b)
      start = b + 1
    end
    if start <= #w then out[#out + 1] = w:sub(start) end
  end
  return out
end

local function latex_escape(s)
  return (pandoc.write(pandoc.Pandoc({ pandoc.Plain({ pandoc.Str(s) }) }), "latex"):gsub("%s+$", ""))
end

local function keep_header_words(cell)
  local div = pandoc.walk_block(pandoc.Div(cell.contents), {
    Str = function(s)
      local out = pandoc.List()
      for i, piece in ipairs(header_pieces(s.text)) do
        if i > 1 then out:insert(pandoc.RawInline("latex", "\\hspace{0pt}")) end
        out:insert(pandoc.RawInline("latex", "\\mbox{" .. latex_escape(piece) .. "}"))
      end
      return out
    end })
  cell.contents = div.content
end

local function Table(tbl)
  if is_html then
    -- a focusable region that scrolls sideways on a phone (book/site)
    local cap = stringify(tbl.caption.long or {})
    return pandoc.Div({ tbl }, { class = "table-scroll", tabindex = "0", role = "region",
                                 ["aria-label"] = cap ~= "" and ("表格：" .. cap) or "表格" })
  end
  if not is_latex then return nil end
  local n = #tbl.colspecs
  local wrap = { pandoc.RawBlock("latex", "\\begingroup\\small\\setlength{\\tabcolsep}{4pt}"),
                 tbl, pandoc.RawBlock("latex", "\\endgroup") }
  local longest, head, headmin, word = {}, {}, {}, {}
  for i = 1, n do
    if tbl.colspecs[i][2] then return wrap end   -- widths already set
    longest[i], head[i], headmin[i], word[i] = 1, 0, 0, 0
  end
  local function measure(rows, is_head)
    for _, row in ipairs(rows) do
      for i, cell in ipairs(row.cells) do
        if i > n then break end
        local s = stringify(cell.contents)
        local len = disp_width(s)
        if is_head then
          head[i] = math.max(head[i], len)
          for _, p in ipairs(header_pieces(s)) do headmin[i] = math.max(headmin[i], disp_width(p)) end
        else
          longest[i] = math.max(longest[i], len)
        end
        -- the longest run that cannot break (no space, no Chinese)
        for w in s:gmatch("[%w%p]+") do word[i] = math.max(word[i], #w) end
      end
    end
  end
  measure(tbl.head.rows, true)
  for _, body in ipairs(tbl.bodies) do measure(body.body, false) end
  local avail = (TEXT_WIDTH - TABLE_PAD * n) / TABLE_UNIT
  local need, total = {}, 0
  for i = 1, n do
    need[i] = math.max(math.min(longest[i], 40), head[i]) + 1
    total = total + need[i]
  end
  if total <= avail then return wrap end         -- fits as it is
  local min, sum = {}, 0
  for i = 1, n do
    min[i] = math.max(word[i], headmin[i]) + 1
    sum = sum + min[i]
  end
  local keep = sum <= avail
  if not keep then
    for i = 1, n do min[i] = word[i] + 1 end
  end
  local share, fixed, rest = {}, 0, 0
  for i = 1, n do
    share[i] = need[i] * avail / total
    if share[i] < min[i] then share[i] = min[i]; fixed = fixed + min[i] else rest = rest + share[i] end
  end
  for i = 1, n do
    if share[i] > min[i] and rest > 0 then share[i] = share[i] * math.max(avail - fixed, 0) / rest end
    tbl.colspecs[i] = { tbl.colspecs[i][1], 0.99 * share[i] / avail }
  end
  -- Keep the header pieces whole in every column wide enough for them.
  for _, row in ipairs(tbl.head.rows) do
    for i, cell in ipairs(row.cells) do
      if i <= n and (keep or share[i] >= headmin[i] + 1) then keep_header_words(cell) end
    end
  end
  return wrap
end

---------------------------------------------------------------------------
-- Table captions.  CommonMark has no syntax for them, so a table is given
-- its caption by a fenced div around it:
--
--   ::: {#tbl:uds-types .table caption="三种套接字类型"}
--   | 类型 | ... |
--   :::
--
-- The caption (Markdown) goes onto the table, numbered per chapter like the
-- figures ("表 5.1"): by LaTeX itself in the PDF (longtable's \caption), as
-- text in the HTML and EPUB.  Only top-level tables are looked at.

local function caption_tables(doc)
  local chapter = PAGE and chapter_of_page[PAGE] and chapter_of_page[PAGE].num
  local count = 0
  for _, blk in ipairs(doc.blocks) do
    if blk.t == "Header" and blk.level == 1 and not PAGE then
      for _, c in ipairs(IDX.chapters) do
        if c.id == blk.identifier then chapter = c.num; count = 0 end
      end
    elseif blk.t == "Div" and blk.classes:includes("table") then
      local tbl = #blk.content == 1 and blk.content[1].t == "Table" and blk.content[1]
      local text = blk.attributes.caption
      if not tbl or not text then
        warn("a ::: {.table} div needs one table and a caption attribute (" .. blk.identifier .. ")")
      else
        blk.attributes.caption = nil
        local parsed = pandoc.read(text, "commonmark_x").blocks
        local inl = pandoc.List(parsed[1] and parsed[1].content or {})
        count = count + 1
        if web and chapter then
          inl:insert(1, pandoc.Space())
          inl:insert(1, pandoc.Span({ pandoc.Str("表 " .. chapter .. "." .. count) },
                                    { class = "table-number" }))
        end
        tbl.caption = { long = { pandoc.Plain(inl) }, short = nil }
      end
    end
  end
  return doc
end

---------------------------------------------------------------------------
-- No stray spaces in Chinese text.  east_asian_line_breaks (mk/book.mk) drops
-- a line break between two CJK characters of plain text, but not one next to
-- a link, an emphasis or a claim ("……测试\n（注意"), which a browser shows
-- as a space.  Drop those too, and the space a source puts after full-width
-- punctuation ("**预热。** 每个"): the punctuation carries its own spacing,
-- and a space between two CJK letters ("见 [本章的测试]").  Spaces next to
-- Latin letters and digits stay ("第 2 章"), and so does the space after a
-- generated number (a span of class *-number: "第 2 章 管道").

local function cjk(cp)
  return cp and ((cp >= 0x2E80 and cp <= 0x2FFF) or (cp >= 0x3000 and cp <= 0x30FF)
    or (cp >= 0x3400 and cp <= 0x4DBF) or (cp >= 0x4E00 and cp <= 0x9FFF)
    or (cp >= 0xF900 and cp <= 0xFAFF) or (cp >= 0xFF00 and cp <= 0xFFEF))
end

local function fullwidth_punct(cp)
  return cp and ((cp >= 0x3000 and cp <= 0x303F) or (cp >= 0xFF01 and cp <= 0xFF0F)
    or (cp >= 0xFF1A and cp <= 0xFF20) or (cp >= 0xFF3B and cp <= 0xFF40)
    or (cp >= 0xFF5B and cp <= 0xFF65) or cp == 0x201C or cp == 0x201D
    or cp == 0x2018 or cp == 0x2019 or cp == 0x2014 or cp == 0x2026)
end

local function edge_cp(inline, last)
  if inline.t == "Code" or inline.t == "Math" or inline.t == "RawInline" then return nil end
  if inline.t == "Span" then
    for _, c in ipairs(inline.classes) do
      if c:match("%-number$") then return nil end
    end
  end
  local s = stringify(inline)
  if s == "" then return nil end
  if last then
    local cp
    for _, c in utf8.codes(s) do cp = c end
    return cp
  end
  return utf8.codepoint(s, 1)
end

local function cjk_wide(cp)
  return cjk(cp) or fullwidth_punct(cp)
end

-- A cross reference's text often begins or ends with a number ("图 2.1",
-- "6.4 节", "代码 B.3"), and the Chinese around it is written against it:
-- "[](#fig:x)画出了", "见 [](#sec:y)".  Between a Chinese character and a
-- Latin letter or digit xeCJK puts its glue (\CJKecglue), but not across the
-- edge of a link (\hyperlink{..}{图 2.1}画), and it drops a source space
-- before one: the PDF printed "图 2.1画出了", "见6.4 节".  So where a link's
-- text begins or ends with a Latin letter or digit and a Chinese character
-- is on the other side, with or without a space between, LaTeX gets that
-- glue as a skip (\bookecglue, book/templates/preamble.tex), and HTML and
-- EPUB a space ("图 2.1 画出了").  tests/book/check-pdf.py checks the PDF.

local function latin_cp(cp)
  return cp ~= nil and cp < 0x80 and string.char(cp):match("%w") ~= nil
end

local function han_cp(cp)
  return cjk(cp) and not fullwidth_punct(cp)
end

local function spacer()
  if is_latex then return pandoc.RawInline("latex", "\\bookecglue{}") end
  return pandoc.Space()
end

local function space_like(el)
  return el and (el.t == "Space" or el.t == "SoftBreak")
end

local function link_spacing(list)
  local out, changed = pandoc.List(), false
  for i, el in ipairs(list) do
    if el.t == "Link" and latin_cp(edge_cp(el, false)) then
      local prev = out[#out]
      if space_like(prev) and #out > 1 and han_cp(edge_cp(out[#out - 1], true)) then
        if is_latex then out[#out] = spacer(); changed = true end
      elseif prev and han_cp(edge_cp(prev, true)) then
        out:insert(spacer()); changed = true
      end
    end
    out:insert(el)
    local nxt = list[i + 1]
    if el.t == "Link" and latin_cp(edge_cp(el, true)) and nxt then
      if not space_like(nxt) and han_cp(edge_cp(nxt, false)) then
        out:insert(spacer()); changed = true
      end
    end
    if is_latex and space_like(el) and i > 1 and list[i - 1].t == "Link"
       and latin_cp(edge_cp(list[i - 1], true)) and han_cp(edge_cp(list[i + 1] or el, false)) then
      out[#out] = spacer(); changed = true
    end
  end
  return changed and out or nil
end

local function Inlines(list)
  local out, changed = pandoc.List(), false
  for i, el in ipairs(list) do
    local drop = false
    if (el.t == "SoftBreak" or el.t == "Space") and i > 1 and i < #list then
      local a, b = edge_cp(list[i - 1], true), edge_cp(list[i + 1], false)
      drop = cjk_wide(a) and cjk_wide(b)
    end
    if drop then changed = true else out:insert(el) end
  end
  local spaced = link_spacing(out)
  if spaced then return spaced end
  if changed then return out end
  return nil
end

---------------------------------------------------------------------------
-- The front page (book-page: index): append the table of contents.

-- The pointer at the end of a chapter to its appendices (its tests, the
-- harness of chapter 6).  Generated, so that every chapter has one.
local function appendix_pointer(ch)
  if not ch or not ch.appendices or #ch.appendices == 0 then return nil end
  local inl = pandoc.List({ pandoc.Str("本章的配套附录：") })
  for i, page in ipairs(ch.appendices) do
    local a = chapter_of_page[page]
    if i > 1 then inl:insert(pandoc.Str("；")) end
    local text = pandoc.List({ pandoc.Span({ pandoc.Str(chapter_label(a)) }, { class = "appendix-number" }),
                               pandoc.Space(), pandoc.Str(a.title) })
    inl:insert(pandoc.Link(text, href(a.page, nil)))
  end
  inl:insert(pandoc.Str("。正文中每条断言后的“测试”链接都指向附录里证明它的测试代码。"))
  return pandoc.Div({ pandoc.Para(inl) }, { class = "appendix-pointer" })
end

local function toc_entry(ch)
  local t = pandoc.List()
  if chapter_label(ch) then
    t:insert(pandoc.Span({ pandoc.Str(chapter_label(ch)) }, { class = "toc-number" }))
    t:insert(pandoc.Space())
  end
  t:insert(pandoc.Str(ch.title))
  local entry = pandoc.List({ pandoc.Plain({ pandoc.Link(t, ch.html) }) })
  local subs = pandoc.List()
  for _, s in ipairs(ch.sections) do
    if s.level == 2 then
      local st = pandoc.List()
      if s.number then
        st:insert(pandoc.Span({ pandoc.Str(s.number) }, { class = "toc-number" }))
        st:insert(pandoc.Space())
      end
      st:insert(pandoc.Str(s.title))
      subs:insert({ pandoc.Plain({ pandoc.Link(st, ch.html .. "#" .. s.id) }) })
    end
  end
  if #subs > 0 then entry:insert(pandoc.BulletList(subs)) end
  return entry
end

local function Pandoc(doc)
  if PAGE and PAGE ~= "index" then
    local p = appendix_pointer(chapter_of_page[PAGE])
    if p then doc.blocks:insert(p) end
    return doc
  end
  if not PAGE then
    -- The combined document: each chapter's pointer before the next H1.
    -- EPUB (no <details> in most readers): each answer moves to the end of
    -- its chapter, under 练习答案, and leaves a link behind.
    local by_id = {}
    for _, ch in ipairs(IDX.chapters) do by_id[ch.id] = ch end
    local out, cur = pandoc.List(), nil
    local answers, last_item = pandoc.List(), 0
    local function flush_answers()
      if #answers == 0 then return pandoc.List() end
      local sec = pandoc.List({ pandoc.Header(2, { pandoc.Str("练习答案") },
        { id = "answers-" .. (cur and cur.page or "book"), class = "unnumbered" }) })
      for _, a in ipairs(answers) do sec:extend(a) end
      answers = pandoc.List()
      return sec
    end
    for _, b in ipairs(doc.blocks) do
      if b.t == "OrderedList" then
        last_item = b.listAttributes.start + #b.content - 1
      end
      if is_epub and b.t == "Div" and b.classes:includes("answer") then
        local id = "answer-" .. (cur and cur.page or "book") .. "-" .. last_item
        local back = id .. "-q"
        local content = pandoc.List({ pandoc.Para({ pandoc.Link({ pandoc.Strong({ pandoc.Str("第 " .. last_item .. " 题") }) }, "#" .. back) }) })
        for i, x in ipairs(b.content) do
          if i > 1 then content:insert(x) end     -- drop the "答案" line
        end
        answers:insert(pandoc.List({ pandoc.Div(content, { id = id, class = "answer" }) }))
        b = pandoc.Para({ pandoc.Span({ pandoc.Link({ pandoc.Str("答案见本章末") }, "#" .. id) }, { id = back, class = "answer-link" }) })
      end
      if b.t == "Header" and b.level == 1 and by_id[b.identifier] then
        local p = appendix_pointer(cur)
        -- before the raw \setcounter / \appendix lines of the next chapter
        local tail = pandoc.List()
        while #out > 0 and out[#out].t == "RawBlock" do tail:insert(1, out:remove()) end
        out:extend(flush_answers())
        if p then out:insert(p) end
        out:extend(tail)
        cur = by_id[b.identifier]
        if is_latex and cur.appendix then
          -- LaTeX: \appendix before the first appendix, and its letter equal
          -- to the HTML's; Header marked it unnumbered (it has no number)
          if not latex_in_appendix then
            latex_in_appendix = true
            out:insert(pandoc.RawBlock("latex", "\\appendix"))
          end
          local k = cur.appendix:byte() - string.byte("A")
          out:insert(pandoc.RawBlock("latex", "\\setcounter{chapter}{" .. k .. "}"))
          b.classes = b.classes:filter(function (c) return c ~= "unnumbered" end)
        end
      end
      out:insert(b)
    end
    out:extend(flush_answers())
    local p = appendix_pointer(cur)
    if p then out:insert(p) end
    doc.blocks = out
    return doc
  end
  -- The front page: the table of contents, chapters then appendices.
  local items, apps = pandoc.List(), pandoc.List()
  for _, ch in ipairs(IDX.chapters) do
    if ch.appendix then apps:insert(toc_entry(ch)) else items:insert(toc_entry(ch)) end
  end
  local toc = pandoc.Div({ pandoc.Header(2, { pandoc.Str("目录") }, { id = "toc" }) }, { id = "book-toc" })
  if #items > 0 then
    toc.content:insert(pandoc.BulletList(items))
  else
    toc.content:insert(pandoc.Para({ pandoc.Str("（还没有章节。）") }))
  end
  if #apps > 0 then
    toc.content:insert(pandoc.Header(3, { pandoc.Str("附录：各章的测试") }, { id = "toc-appendices" }))
    toc.content:insert(pandoc.BulletList(apps))
  end
  doc.blocks:insert(toc)
  return doc
end

return {
  { Meta = function(m) load_index(m); return page_meta(m) end },
  { Pandoc = caption_tables },
  { Link = Link, Span = Span },
  is_latex and { Quoted = latex_quoted } or {},
  is_latex and { Str = latex_str, Inlines = latex_inlines } or {},
  { Header = Header, Para = figure, CodeBlock = CodeBlock, Table = Table },
  { Div = Div, RawBlock = RawBlock, Pandoc = Pandoc },
  { Inlines = Inlines },
}
