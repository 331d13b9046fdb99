# bench/throughput.gp: chapter 06, one-way throughput against message size.
# Reads DATADIR/throughput.csv (written by bench_ipc -k tput); writes OUT as
# FMT (svg or pdf).  Run by `make bench` and `make bench-figures`:
#   gnuplot -e "datadir='build/bench'; out='x.svg'; fmt='svg'" bench/throughput.gp
if (!exists("datadir")) datadir = 'build/bench'
if (!exists("fmt")) fmt = 'svg'
if (!exists("out")) out = datadir.'/bench-throughput.'.fmt
font = 'Noto Sans CJK SC'
if (fmt eq 'pdf') {
    set terminal pdfcairo size 16cm,10cm font font.',8'
} else {
    set terminal svg size 860,540 font font.',12' background rgb 'white'
}
set output out
set datafile separator ','
set title '单向吞吐量与消息大小（越高越好）'
set xlabel '消息大小（字节，对数坐标）'
set ylabel 'MB/s（对数坐标）'
set logscale xy
set xrange [40:1.6e6]
set xtics ('64' 64, '4 KiB' 4096, '64 KiB' 65536, '1 MiB' 1048576)
set grid xtics ytics
set key outside right top
mechs = 'pipe fifo uds-stream uds-dgram uds-seqpacket shm-futex shm-sem shm-spin tcp'
file = datadir.'/throughput.csv'
# A row of another mechanism gives an undefined point, which breaks the line.
colors = '#4477aa #66ccee #228833 #ccbb44 #aa7733 #ee6677 #aa3377 #cc3311 #555555'
plot for [i=1:words(mechs)] file skip 1 \
         using 2:(strcol(1) eq word(mechs, i) ? $6 : 1/0) \
         with linespoints lw 2 pt 7 ps 0.8 lc rgb word(colors, i) title word(mechs, i), \
     file skip 1 using 2:(strcol(1) eq 'memcpy' ? $6 : 1/0) \
         with linespoints lw 2 dt 2 pt 6 lc rgb 'black' title 'memcpy（极限）'
