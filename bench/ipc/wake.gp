# bench/ipc/wake.gp: chapter 08, poll vs epoll wake-up cost against the
# number of idle descriptors.  Reads DATADIR/wake.csv (bench_ipc -k wake:
# median of the runs' medians, with the lowest and highest run median as an
# error bar); writes OUT as FMT (svg, pdf, or book: an SVG for the book's
# PDF).  Run by `make bench-wake` and `make bench-figures`:
#   gnuplot -e "datadir='build/bench'; out='x.svg'; fmt='svg'" bench/ipc/wake.gp
if (!exists("datadir")) datadir = 'build/bench'
if (!exists("fmt")) fmt = 'svg'
if (!exists("out")) out = datadir.'/bench-wake.'.fmt
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
set title '一次唤醒往返的时间与空闲描述符的个数（中位数，越低越好）'
set xlabel '空闲描述符的个数（对数坐标）'
set ylabel '微秒（对数坐标）'
set logscale xy
set xrange [6:16000]
set xtics ('10' 10, '100' 100, '1000' 1000, '10000' 10000)
set format y '%g'
set grid xtics ytics
set key top left
# bench_ipc writes poll and epoll rows in turn (every 2); sel() makes a row
# of the other mechanism a point that is not drawn.
sel(name, col) = strcol(1) eq name ? column(col) / 1000 : NaN
plot datadir.'/wake.csv' skip 1 every 2::0 using 2:(sel('poll', 6)):(sel('poll', 7)):(sel('poll', 8)) \
         with yerrorlines title 'poll' lc rgb '#ee6677' lw 2 pt 7, \
     datadir.'/wake.csv' skip 1 every 2::1 using 2:(sel('epoll', 6)):(sel('epoll', 7)):(sel('epoll', 8)) \
         with yerrorlines title 'epoll' lc rgb '#4477aa' lw 2 pt 5
