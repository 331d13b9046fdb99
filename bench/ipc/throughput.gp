# bench/ipc/throughput.gp: chapter 06, one-way throughput against message size.
# Reads DATADIR/throughput-{free,same}.csv (bench_ipc -k tput, unpinned and
# -c 0,0), one panel each; writes OUT as FMT (svg, pdf, or book: an SVG
# for the book's PDF).
# Run by `make bench` and `make bench-figures`:
#   gnuplot -e "datadir='build/bench'; out='x.svg'; fmt='svg'" bench/ipc/throughput.gp
if (!exists("datadir")) datadir = 'build/bench'
if (!exists("fmt")) fmt = 'svg'
if (!exists("out")) out = datadir.'/bench-throughput.'.fmt
font = 'Noto Sans CJK SC'
if (fmt eq 'book') {
    # the book's PDF: the text width (450 pt), with 10 pt text (13.4 px)
    set terminal svg size 600,400 font font.',13.4' background rgb 'white'
} else { if (fmt eq 'pdf') {
    set terminal pdfcairo size 17cm,8cm font font.',8'
} else {
    set terminal svg size 1000,480 font font.',12' background rgb 'white'
}}
set output out
set datafile separator ','
set logscale xy
set xrange [40:1.6e6]
set yrange [10:200000]
set xtics ('64' 64, '4K' 4096, '64K' 65536, '1M' 1048576)
# (the book's PDF: no superscript, which gnuplot sets at 0.8 of the text size)
if (fmt eq 'book') { set format y '%.0f' } else { set format y '10^{%L}' }
set grid xtics ytics
mechs = 'pipe fifo uds-stream uds-dgram uds-seqpacket shm-futex shm-sem shm-spin shm-ring tcp mq'
colors = '#4477aa #66ccee #228833 #ccbb44 #aa7733 #ee6677 #aa3377 #cc3311 #009988 #555555 #bbbbbb'
configs = 'free same'
if (fmt eq 'book') {
    # room on the right for the key, which would squeeze the second panel
    set multiplot layout 1,2 title '单向吞吐量与消息大小（MB/s，对数坐标，越高越好）' \
        margins 0.11,0.74,0.15,0.80 spacing 0.07
} else {
    set multiplot layout 1,2 title '单向吞吐量与消息大小（MB/s，对数坐标，越高越好）'
}
do for [c=1:2] {
    file = datadir.'/throughput-'.word(configs, c).'.csv'
    set title (c == 1 ? '不绑定 CPU' : '-c 0,0（同一个核）')
    set xlabel '消息大小（字节）'
    if (c == 1) { set key off; set ylabel 'MB/s' } else { if (fmt eq 'book') { set key at screen 0.99, screen 0.82 right top vertical maxrows 12 samplen 1.5 } else { set key outside right top }; unset ylabel }
    # A row of another mechanism gives an undefined point, which breaks the line.
    plot for [i=1:words(mechs)] file skip 1 \
             using 2:(strcol(1) eq word(mechs, i) ? $6 : 1/0) \
             with linespoints lw 2 pt 7 ps 0.7 lc rgb word(colors, i) title word(mechs, i), \
         file skip 1 using 2:(strcol(1) eq 'memcpy' ? $6 : 1/0) \
             with linespoints lw 2 dt 2 pt 6 lc rgb 'black' title 'memcpy（极限）'
}
unset multiplot
