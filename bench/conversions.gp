# SPDX-License-Identifier: MIT
# Conversions and throughput against counters per page (1 = placed by the
# allocator, max = packed). gnuplot -e "dir='OUT'; nconv=N"
# bench/conversions.gp -> OUT/conversions.png
if (!exists("dir")) dir = "build-bench"
if (!exists("nconv")) nconv = 0
set terminal pngcairo size 1200,520 font "DejaVu Sans,11" noenhanced
set output dir."/conversions.png"
if (nconv == 0) {
   set label 1 "no counters data (no device backend ran)" at graph 0.5,0.5 center
   plot NaN notitle
   exit
}
set multiplot layout 1,2 title "Device atomics on counter 0 while a CPU thread adds to the other counters"
set logscale x 2
set xlabel "counters per 4 KiB page (1 = one page each via nvsvm_pool_alloc)"
set grid
set key bottom right box opaque
set title "page conversions per 1000 device atomics"
set logscale y 10
set yrange [0.1:2000]
set ylabel "conversions / 1000 device steps (log)"
plot for [i=0:nconv-1] dir."/conversions.dat" index i using 1:2 \
     with linespoints linewidth 2 dashtype i+1 pointsize 1.5 title columnheader(1)
set title "cost of a device atomic (time inside device steps)"
set yrange [*:*]
set ylabel "device atomics per second of device time (log)"
set key top right box opaque
plot for [i=0:nconv-1] dir."/conversions.dat" index i using 1:5 \
     with linespoints linewidth 2 dashtype i+1 pointsize 1.5 title columnheader(1)
unset multiplot
