# bench/ipc/latency.gp: chapter 06, median round-trip latency by mechanism.
# Reads DATADIR/latency-{free,split,same}.csv (written by bench_ipc -k lat);
# writes OUT as FMT (svg, pdf, or book: an SVG
# for the book's PDF).  Run by `make bench` and `make bench-figures`:
#   gnuplot -e "datadir='build/bench'; out='x.svg'; fmt='svg'" bench/ipc/latency.gp
if (!exists("datadir")) datadir = 'build/bench'
if (!exists("fmt")) fmt = 'svg'
if (!exists("out")) out = datadir.'/bench-latency.'.fmt
font = 'Noto Sans CJK SC'
if (fmt eq 'book') {
    # the book's PDF: the text width (450 pt), with 10 pt text (13.4 px)
    set terminal svg size 600,380 font font.',13.4' background rgb 'white'
} else { if (fmt eq 'pdf') {
    set terminal pdfcairo size 16cm,9cm font font.',8'
} else {
    set terminal svg size 860,480 font font.',12' background rgb 'white'
}}
set output out
set datafile separator ','
set title '64 字节消息的往返延迟（中位数，越低越好）'
set ylabel '微秒（对数坐标）'
set logscale y
set yrange [0.1:*]
set grid ytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 scale 0
set rmargin 6   # the last label, rotated down to the right, needs room past the axis
if (fmt eq 'book') { set key outside top center horizontal maxcols 3 samplen 1.5 } else { set key top left }
plot datadir.'/latency-free.csv'  skip 1 using ($6/1000):xtic(1) title '不绑定 CPU' lc rgb '#4477aa', \
     datadir.'/latency-split.csv' skip 1 using ($6/1000) title '-c 0,1（不同的核）' lc rgb '#ee6677', \
     datadir.'/latency-same.csv'  skip 1 using ($6/1000) title '-c 0,0（同一个核）' lc rgb '#228833'
