;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
(module
  (import "env" "memory" (memory 1))

  ;; c[i, :] = sum over k of A(i, k) * b[k, :], for c [m, n] and b [kk, n] row-major and A(i, k) at
  ;; a + 4 * (i * aRow + k * aCol), so a plain or a transposed left operand; with acc set, added to
  ;; what c holds. Accumulates each row of c in place over k, streaming b once per row: for fewer
  ;; rows than a tile (batch size 1) and for the rows below the last tile of $gemm.
  (func $matMulRows (export "matMulRows") (param $a i32) (param $b i32) (param $c i32)
    (param $m i32) (param $kk i32) (param $n i32) (param $aRow i32) (param $aCol i32) (param $acc i32)
    (local $i i32) (local $k i32) (local $j i32) (local $s f32) (local $sv v128) (local $rowBytes i32)
    (local $vecBytes i32) (local $cRow i32) (local $bRow i32) (local $aAt i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $cRow (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $rowBytes))))
        (if (i32.eqz (local.get $acc)) (then (memory.fill (local.get $cRow) (i32.const 0) (local.get $rowBytes))))
        (local.set $k (i32.const 0))
        (block $kDone
          (loop $kLoop
            (br_if $kDone (i32.ge_u (local.get $k) (local.get $kk)))
            (local.set $aAt (i32.add (local.get $a) (i32.shl
              (i32.add (i32.mul (local.get $i) (local.get $aRow)) (i32.mul (local.get $k) (local.get $aCol))) (i32.const 2))))
            (local.set $s (f32.load (local.get $aAt)))
            (local.set $sv (f32x4.splat (local.get $s)))
            (local.set $bRow (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $rowBytes))))
            (local.set $j (i32.const 0))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.ge_u (local.get $j) (local.get $vecBytes)))
                (v128.store (i32.add (local.get $cRow) (local.get $j))
                  (f32x4.add (v128.load (i32.add (local.get $cRow) (local.get $j)))
                    (f32x4.mul (local.get $sv) (v128.load (i32.add (local.get $bRow) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $vec)))
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (f32.store (i32.add (local.get $cRow) (local.get $j))
                  (f32.add (f32.load (i32.add (local.get $cRow) (local.get $j)))
                    (f32.mul (local.get $s) (f32.load (i32.add (local.get $bRow) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $tail)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))
  ;; c = op(a) b for c [m, n], b [kk, n] row-major, op(a)(i, k) at a + 4 * (i * aRow + k * aCol) (so
  ;; a plain or a transposed left operand), in 4 x 8 register tiles: per k, two vectors of b's row
  ;; and four scalars of a's column feed 8 accumulators. No packing of b, which XNNPACK redoes for
  ;; every product because weights change at every update. Rows past the last full tile of 4 and
  ;; columns past the last full tile of 8 go to $gemmScalar.
  (func $gemm (export "gemm") (param $a i32) (param $b i32) (param $c i32)
    (param $m i32) (param $kk i32) (param $n i32) (param $aRow i32) (param $aCol i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $k i32) (local $m4 i32) (local $n8 i32)
    (local $aRowB i32) (local $aColB i32) (local $rowB i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb i32) (local $pc i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (local.set $aRowB (i32.shl (local.get $aRow) (i32.const 2)))
    (local.set $aColB (i32.shl (local.get $aCol) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $n) (i32.const 2)))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m4)))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n8)))
            (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
            (if (local.get $acc)
              (then
                (local.set $c00 (v128.load (local.get $pc)))
                (local.set $c01 (v128.load offset=16 (local.get $pc)))
                (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
                (local.set $c10 (v128.load (local.get $pc)))
                (local.set $c11 (v128.load offset=16 (local.get $pc)))
                (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
                (local.set $c20 (v128.load (local.get $pc)))
                (local.set $c21 (v128.load offset=16 (local.get $pc)))
                (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
                (local.set $c30 (v128.load (local.get $pc)))
                (local.set $c31 (v128.load offset=16 (local.get $pc)))
              )
              (else
                (local.set $c00 (v128.const f32x4 0 0 0 0))
                (local.set $c01 (v128.const f32x4 0 0 0 0))
                (local.set $c10 (v128.const f32x4 0 0 0 0))
                (local.set $c11 (v128.const f32x4 0 0 0 0))
                (local.set $c20 (v128.const f32x4 0 0 0 0))
                (local.set $c21 (v128.const f32x4 0 0 0 0))
                (local.set $c30 (v128.const f32x4 0 0 0 0))
                (local.set $c31 (v128.const f32x4 0 0 0 0))
              ))
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowB))))
            (local.set $pa1 (i32.add (local.get $pa0) (local.get $aRowB)))
            (local.set $pa2 (i32.add (local.get $pa1) (local.get $aRowB)))
            (local.set $pa3 (i32.add (local.get $pa2) (local.get $aRowB)))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kk)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $s (v128.load32_splat (local.get $pa0)))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat (local.get $pa1)))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat (local.get $pa2)))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $s (v128.load32_splat (local.get $pa3)))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
                (local.set $pa0 (i32.add (local.get $pa0) (local.get $aColB)))
                (local.set $pa1 (i32.add (local.get $pa1) (local.get $aColB)))
                (local.set $pa2 (i32.add (local.get $pa2) (local.get $aColB)))
                (local.set $pa3 (i32.add (local.get $pa3) (local.get $aColB)))
                (local.set $pb (i32.add (local.get $pb) (local.get $rowB)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $kLoop)))
            (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
            (v128.store (local.get $pc) (local.get $c10))
            (v128.store offset=16 (local.get $pc) (local.get $c11))
            (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
            (v128.store (local.get $pc) (local.get $c20))
            (v128.store offset=16 (local.get $pc) (local.get $c21))
            (local.set $pc (i32.add (local.get $pc) (local.get $rowB)))
            (v128.store (local.get $pc) (local.get $c30))
            (v128.store offset=16 (local.get $pc) (local.get $c31))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $iLoop)))
    (call $gemmScalar (local.get $a) (local.get $b) (local.get $c) (local.get $kk) (local.get $n)
      (local.get $aRow) (local.get $aCol) (i32.const 0) (local.get $m4) (local.get $n8) (local.get $n) (local.get $acc))
    (call $matMulRows
      (i32.add (local.get $a) (i32.mul (local.get $m4) (local.get $aRowB)))
      (local.get $b)
      (i32.add (local.get $c) (i32.mul (local.get $m4) (local.get $rowB)))
      (i32.sub (local.get $m) (local.get $m4)) (local.get $kk) (local.get $n) (local.get $aRow) (local.get $aCol) (local.get $acc)))

  ;; c[i, j] for i in [i0, i1), j in [j0, j1) of the product above, one scalar at a time.
  (func $gemmScalar (param $a i32) (param $b i32) (param $c i32) (param $kk i32) (param $n i32)
    (param $aRow i32) (param $aCol i32) (param $i0 i32) (param $i1 i32) (param $j0 i32) (param $j1 i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $k i32) (local $sum f32)
    (local.set $i (local.get $i0))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $i1)))
        (local.set $j (local.get $j0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $j1)))
            (local.set $sum (if (result f32) (local.get $acc)
              (then (f32.load (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))))
              (else (f32.const 0))))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kk)))
                (local.set $sum (f32.add (local.get $sum) (f32.mul
                  (f32.load (i32.add (local.get $a) (i32.shl
                    (i32.add (i32.mul (local.get $i) (local.get $aRow)) (i32.mul (local.get $k) (local.get $aCol))) (i32.const 2))))
                  (f32.load (i32.add (local.get $b) (i32.shl
                    (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j)) (i32.const 2)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $kLoop)))
            (f32.store (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
              (local.get $sum))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))
;; $gemm over blocks of $kBlock of the inner dimension, each added into c after the first:
  ;; one call per product, so that a thread given some rows runs all of their blocks.
  (func (export "gemmBlocked") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $kk i32)
    (param $n i32) (param $aRow i32) (param $aCol i32) (param $kBlock i32)
    (local $k0 i32) (local $len i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k0) (local.get $kk)))
        (local.set $len (i32.sub (local.get $kk) (local.get $k0)))
        (if (i32.lt_u (local.get $kBlock) (local.get $len)) (then (local.set $len (local.get $kBlock))))
        (call $gemm
          (i32.add (local.get $a) (i32.shl (i32.mul (local.get $k0) (local.get $aCol)) (i32.const 2)))
          (i32.add (local.get $b) (i32.shl (i32.mul (local.get $k0) (local.get $n)) (i32.const 2)))
          (local.get $c) (local.get $m) (local.get $len) (local.get $n) (local.get $aRow) (local.get $aCol)
          (i32.ne (local.get $k0) (i32.const 0)))
        (local.set $k0 (i32.add (local.get $k0) (local.get $kBlock)))
        (br $next))))

  ;; Output rows [m0, m0 + rows) of a channels-last convolution (dilation 1) as products, in blocks of
  ;; 256 rows: each block's patches are gathered into cols ($gatherPatches), then
  ;; out[block] = cols x w, with w the filter [fh, fw, inC, outC] seen as [K, outC] and out [M, outC]
  ;; the NHWC output; where filter rows are short runs, $convBlockDirect reads most of them in place
  ;; instead. A block's columns stay in the core's cache between the gather and the product;
  ;; m0 and the block size are multiples of the 4-row tile, so every row takes the same path of
  ;; $gemm however the rows are cut between threads. cols: 256 x K floats of scratch for this call.
  ;; With a bias (pointer, 0 for none) each output row starts from it, as XNNPACK's does; with relu
  ;; set, each output becomes max(v, 0) after (NaN stays NaN, -0 becomes +0, as Math.max(0, v)).
  (func (export "convRows") (param $x i32) (param $w i32) (param $out i32) (param $cols i32)
    (param $m0 i32) (param $rows i32) (param $inH i32) (param $inW i32) (param $inC i32)
    (param $outH i32) (param $outW i32) (param $outC i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (param $bias i32) (param $relu i32)
    (local $kk i32) (local $m i32) (local $end i32) (local $count i32) (local $block i32) (local $i i32) (local $direct i32)
    (local.set $kk (i32.mul (i32.mul (local.get $fh) (local.get $fw)) (local.get $inC)))
    ;; read in place ($convBlockDirect) where filter rows are short runs and outC a nonzero multiple of 8
    (local.set $direct (i32.and
      (i32.and (i32.lt_u (i32.mul (local.get $fw) (local.get $inC)) (i32.const 8)) (i32.ne (local.get $outC) (i32.const 0)))
      (i32.eqz (i32.and (local.get $outC) (i32.const 7)))))
    (local.set $m (local.get $m0))
    (local.set $end (i32.add (local.get $m0) (local.get $rows)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $m) (local.get $end)))
        (local.set $count (i32.sub (local.get $end) (local.get $m)))
        (if (i32.gt_u (local.get $count) (i32.const 256)) (then (local.set $count (i32.const 256))))
        (local.set $block (i32.add (local.get $out) (i32.shl (i32.mul (local.get $m) (local.get $outC)) (i32.const 2))))
        (if (local.get $direct)
          (then
            (call $convBlockDirect (local.get $x) (local.get $w) (local.get $block) (local.get $cols) (local.get $m) (local.get $count)
              (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH) (local.get $outW) (local.get $outC)
              (local.get $fh) (local.get $fw) (local.get $sh) (local.get $sw) (local.get $top) (local.get $left) (local.get $bias)))
          (else
            (call $gatherPatches (local.get $x) (local.get $cols) (local.get $kk) (local.get $m) (local.get $count)
              (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH) (local.get $outW)
              (local.get $fh) (local.get $fw) (local.get $sh) (local.get $sw) (local.get $top) (local.get $left))
            (if (local.get $bias)
              (then
                (local.set $i (i32.const 0))
                (loop $rowsOfBias
                  (call $copyFloats (local.get $bias)
                    (i32.add (local.get $block) (i32.shl (i32.mul (local.get $i) (local.get $outC)) (i32.const 2)))
                    (local.get $outC))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $rowsOfBias (i32.lt_u (local.get $i) (local.get $count))))))
            (call $gemm (local.get $cols) (local.get $w) (local.get $block)
              (local.get $count) (local.get $kk) (local.get $outC) (local.get $kk) (i32.const 1) (i32.ne (local.get $bias) (i32.const 0)))))
        (if (local.get $relu)
          (then (call $reluInPlace (local.get $block) (i32.mul (local.get $count) (local.get $outC)))))
        (local.set $m (i32.add (local.get $m) (local.get $count)))
        (br $blocks))))

  ;; Output rows [m, m + count) of the convolution above, into out (row m's first float), without
  ;; gathering the patches where a filter row is a short run (one or two input channels): four
  ;; output positions of one output row, whose patches lie inside the input, read it in place
  ;; ($directTile), so a 3x3 filter on one channel no longer copies nine floats per position
  ;; before its products. Four positions that cross an output row or the padding are
  ;; gathered into cols first, and rows past the last four go through $gemm as in convRows. The
  ;; sums run over the same taps in the same order as $gemm's, so every output is the same bit
  ;; for bit whichever way it was made. outC is a multiple of 8.
  (func $convBlockDirect (param $x i32) (param $w i32) (param $out i32) (param $cols i32) (param $m i32) (param $count i32)
    (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32) (param $outC i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32) (param $bias i32)
    (local $i i32) (local $pos i32) (local $b i32) (local $oy i32) (local $ox i32) (local $y0 i32) (local $xx i32)
    (local $a i32) (local $aRow i32) (local $aTapRow i32) (local $rowLen i32) (local $kk i32) (local $j i32)
    (local $outRowB i32) (local $rest i32) (local $block i32)
    (local.set $rowLen (i32.mul (local.get $fw) (local.get $inC)))
    (local.set $kk (i32.mul (local.get $fh) (local.get $rowLen)))
    (local.set $outRowB (i32.shl (local.get $outC) (i32.const 2)))
    (block $tilesDone
      (loop $tiles
        (br_if $tilesDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $count)))
        (local.set $pos (i32.add (local.get $m) (local.get $i)))
        (local.set $ox (i32.rem_u (local.get $pos) (local.get $outW)))
        (local.set $oy (i32.div_u (local.get $pos) (local.get $outW)))
        (local.set $b (i32.div_u (local.get $oy) (local.get $outH)))
        (local.set $oy (i32.rem_u (local.get $oy) (local.get $outH)))
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
        (local.set $xx (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
        (if (i32.and
              (i32.and (i32.lt_u (i32.add (local.get $ox) (i32.const 3)) (local.get $outW))
                (i32.and (i32.ge_s (local.get $y0) (i32.const 0))
                  (i32.le_s (i32.add (local.get $y0) (local.get $fh)) (local.get $inH))))
              (i32.and (i32.ge_s (local.get $xx) (i32.const 0))
                (i32.le_s (i32.add (i32.add (local.get $xx) (i32.mul (i32.const 3) (local.get $sw))) (local.get $fw))
                  (local.get $inW))))
          (then
            ;; all four patches inside: position p's tap (r, t) at a + p * aRow + r * aTapRow + 4 t
            (local.set $a (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b)
              (local.get $inH)) (local.get $y0)) (local.get $inW)) (local.get $xx)) (local.get $inC)) (i32.const 2))))
            (local.set $aRow (i32.shl (i32.mul (local.get $sw) (local.get $inC)) (i32.const 2)))
            (local.set $aTapRow (i32.shl (i32.mul (local.get $inW) (local.get $inC)) (i32.const 2))))
          (else
            (call $gatherPatches (local.get $x) (local.get $cols) (local.get $kk) (local.get $pos) (i32.const 4)
              (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH) (local.get $outW)
              (local.get $fh) (local.get $fw) (local.get $sh) (local.get $sw) (local.get $top) (local.get $left))
            (local.set $a (local.get $cols))
            (local.set $aRow (i32.shl (local.get $kk) (i32.const 2)))
            (local.set $aTapRow (i32.shl (local.get $rowLen) (i32.const 2)))))
        (local.set $j (i32.const 0))
        (loop $columns
          (call $directTile (local.get $a) (local.get $aRow) (local.get $aTapRow) (local.get $fh) (local.get $rowLen)
            (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2))) (local.get $outRowB)
            (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $outC)) (local.get $j)) (i32.const 2)))
            (local.get $outRowB)
            (if (result i32) (local.get $bias)
              (then (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))
              (else (i32.const 0))))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br_if $columns (i32.lt_u (local.get $j) (local.get $outC))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $tiles)))
    (local.set $rest (i32.sub (local.get $count) (local.get $i)))
    (if (local.get $rest)
      (then
        (call $gatherPatches (local.get $x) (local.get $cols) (local.get $kk) (i32.add (local.get $m) (local.get $i))
          (local.get $rest) (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH) (local.get $outW)
          (local.get $fh) (local.get $fw) (local.get $sh) (local.get $sw) (local.get $top) (local.get $left))
        (local.set $block (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRowB))))
        (if (local.get $bias)
          (then
            (local.set $j (i32.const 0))
            (loop $rowsOfBias
              (call $copyFloats (local.get $bias)
                (i32.add (local.get $block) (i32.mul (local.get $j) (local.get $outRowB))) (local.get $outC))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $rowsOfBias (i32.lt_u (local.get $j) (local.get $rest))))))
        (call $gemm (local.get $cols) (local.get $w) (local.get $block) (local.get $rest) (local.get $kk) (local.get $outC)
          (local.get $kk) (i32.const 1) (i32.ne (local.get $bias) (i32.const 0))))))

  ;; One 4 x 8 tile of a convolution's output as $gemm's register tile computes it, with the left
  ;; operand's four rows read where they lie: row p's tap (r, t) at a + p * aRow + r * aTapRow + 4 t,
  ;; for r < fh and t < rowLen (taps in the filter's order, b's rows bRow bytes apart). The sums start
  ;; from the 8 values at bias (0 for none) and go to c, whose rows are cRow bytes apart.
  (func $directTile (param $a i32) (param $aRow i32) (param $aTapRow i32) (param $fh i32) (param $rowLen i32)
    (param $b i32) (param $bRow i32) (param $c i32) (param $cRow i32) (param $bias i32)
    (local $r i32) (local $t i32) (local $p i32) (local $pb i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (if (local.get $bias)
      (then
        (local.set $c00 (v128.load (local.get $bias)))
        (local.set $c01 (v128.load offset=16 (local.get $bias)))
        (local.set $c10 (local.get $c00)) (local.set $c11 (local.get $c01))
        (local.set $c20 (local.get $c00)) (local.set $c21 (local.get $c01))
        (local.set $c30 (local.get $c00)) (local.set $c31 (local.get $c01))))
    (local.set $pb (local.get $b))
    (loop $rows
      (local.set $p (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $aTapRow))))
      (local.set $t (i32.const 0))
      (loop $taps
        (local.set $b0 (v128.load (local.get $pb)))
        (local.set $b1 (v128.load offset=16 (local.get $pb)))
        (local.set $s (v128.load32_splat (local.get $p)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $aRow))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $s (v128.load32_splat (i32.add (local.get $p) (i32.shl (local.get $aRow) (i32.const 1)))))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $s (v128.load32_splat (i32.add (local.get $p) (i32.mul (local.get $aRow) (i32.const 3)))))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $pb (i32.add (local.get $pb) (local.get $bRow)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $taps (i32.lt_u (local.get $t) (local.get $rowLen))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $r) (local.get $fh))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $cRow)))
    (v128.store (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $cRow)))
    (v128.store (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $cRow)))
    (v128.store (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31)))

  ;; The filter gradient of the same convolution, dW [K, outC] = sum over positions m of
  ;; cols[m, :]^T dy[m, :], as fixed slots: slot s of `total` sums the positions
  ;; [floor(M s / total), floor(M (s + 1) / total)) into partials + s * K4 * outC floats, 256
  ;; positions at a time (gathered as above, then added by $gemm with the columns read transposed;
  ;; read in place by $filterGradBlockDirect where filter rows are short runs and no patch meets
  ;; padding, which the caller arranges by padding a copy of the input).
  ;; K4 is K rounded up to the 4-row tile, the rows past K zero (a 3x3 filter on one channel would
  ;; leave one of its 9 rows to the scalar path, as slow as the other 8). This call does slots
  ;; [s0, s0 + count); the caller adds the slots' first K rows up in order, so the sum is the same
  ;; however the slots were shared between threads. cols: 256 x K4 floats of scratch for this call.
  (func (export "convFilterGradSlots") (param $x i32) (param $dy i32) (param $partials i32) (param $cols i32)
    (param $s0 i32) (param $slots i32) (param $total i32) (param $mAll i32)
    (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32) (param $outC i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $kk i32) (local $k4 i32) (local $s i32) (local $m i32) (local $end i32) (local $count i32) (local $dw i32)
    (local $slotBytes i32) (local $direct i32)
    (local.set $kk (i32.mul (i32.mul (local.get $fh) (local.get $fw)) (local.get $inC)))
    ;; read in place ($filterGradBlockDirect) where filter rows are short runs, outC a nonzero
    ;; multiple of 8, and no patch meets padding
    (local.set $direct (i32.and
      (i32.and (i32.and (i32.lt_u (i32.mul (local.get $fw) (local.get $inC)) (i32.const 8)) (i32.ne (local.get $outC) (i32.const 0)))
        (i32.eqz (i32.or (i32.and (local.get $outC) (i32.const 7)) (i32.or (local.get $top) (local.get $left)))))
      (i32.and
        (i32.le_u (i32.add (i32.mul (i32.sub (local.get $outH) (i32.const 1)) (local.get $sh)) (local.get $fh)) (local.get $inH))
        (i32.le_u (i32.add (i32.mul (i32.sub (local.get $outW) (i32.const 1)) (local.get $sw)) (local.get $fw)) (local.get $inW)))))
    (local.set $k4 (i32.and (i32.add (local.get $kk) (i32.const 3)) (i32.const -4)))
    (local.set $slotBytes (i32.shl (i32.mul (local.get $k4) (local.get $outC)) (i32.const 2)))
    (local.set $s (local.get $s0))
    (block $slotsDone
      (loop $slotLoop
        (br_if $slotsDone (i32.ge_u (local.get $s) (i32.add (local.get $s0) (local.get $slots))))
        (local.set $m (i32.wrap_i64 (i64.div_u (i64.mul (i64.extend_i32_u (local.get $mAll)) (i64.extend_i32_u (local.get $s)))
          (i64.extend_i32_u (local.get $total)))))
        (local.set $end (i32.wrap_i64 (i64.div_u (i64.mul (i64.extend_i32_u (local.get $mAll))
          (i64.extend_i32_u (i32.add (local.get $s) (i32.const 1)))) (i64.extend_i32_u (local.get $total)))))
        (local.set $dw (i32.add (local.get $partials) (i32.mul (local.get $s) (local.get $slotBytes))))
        ;; an empty slot still holds its zeros
        (if (i32.ge_u (local.get $m) (local.get $end))
          (then (call $zeroFloats (local.get $dw) (i32.mul (local.get $k4) (local.get $outC)))))
        (block $done
          (loop $blocks
            (br_if $done (i32.ge_u (local.get $m) (local.get $end)))
            (local.set $count (i32.sub (local.get $end) (local.get $m)))
            (if (i32.gt_u (local.get $count) (i32.const 256)) (then (local.set $count (i32.const 256))))
            (if (local.get $direct)
              (then
                (call $filterGradBlockDirect (local.get $x)
                  (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $m) (local.get $outC)) (i32.const 2)))
                  (local.get $dw) (local.get $m) (local.get $count)
                  (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH) (local.get $outW) (local.get $outC)
                  (local.get $fh) (local.get $fw) (local.get $sh) (local.get $sw)
                  (i32.ne (local.get $m) (i32.wrap_i64 (i64.div_u (i64.mul (i64.extend_i32_u (local.get $mAll))
                    (i64.extend_i32_u (local.get $s))) (i64.extend_i32_u (local.get $total)))))))
              (else
                (call $gatherPatches (local.get $x) (local.get $cols) (local.get $k4) (local.get $m) (local.get $count)
                  (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH) (local.get $outW)
                  (local.get $fh) (local.get $fw) (local.get $sh) (local.get $sw) (local.get $top) (local.get $left))
                ;; dW(i, j) (+)= sum over the block's positions p of cols[p, i] dy[p, j]; the first block sets it
                (call $gemm (local.get $cols)
                  (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $m) (local.get $outC)) (i32.const 2)))
                  (local.get $dw) (local.get $k4) (local.get $count) (local.get $outC) (i32.const 1) (local.get $k4)
                  (i32.ne (local.get $m) (i32.wrap_i64 (i64.div_u (i64.mul (i64.extend_i32_u (local.get $mAll))
                    (i64.extend_i32_u (local.get $s))) (i64.extend_i32_u (local.get $total))))))))
            (local.set $m (i32.add (local.get $m) (local.get $count)))
            (br $blocks)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $slotLoop))))

  ;; The filter gradient's sums over output positions [m, m + count) into the slot dw ([K4, outC]),
  ;; as $gemm adds them over gathered columns (acc: add to what dw holds, else start from 0), for a
  ;; convolution whose every patch lies inside x (no padding: the caller pads the input first)
  ;; and whose filter rows are short runs: each position's taps are read where they lie, four taps
  ;; by eight channels in registers, then the taps past the last four one at a time. Each sum
  ;; adds the positions in order, as $gemm does, so dw is the same bit for bit. dy: position m's
  ;; row. Rows K to K4 of dw hold 0 (the caller reads only the first K).
  (func $filterGradBlockDirect (param $x i32) (param $dy i32) (param $dw i32) (param $m i32) (param $count i32)
    (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32) (param $outC i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $acc i32)
    (local $rowLen i32) (local $kk i32) (local $k4 i32) (local $outRowB i32) (local $tap i32) (local $taps i32) (local $j i32)
    (local.set $rowLen (i32.mul (local.get $fw) (local.get $inC)))
    (local.set $kk (i32.mul (local.get $fh) (local.get $rowLen)))
    (local.set $k4 (i32.and (i32.add (local.get $kk) (i32.const 3)) (i32.const -4)))
    (local.set $outRowB (i32.shl (local.get $outC) (i32.const 2)))
    (if (i32.eqz (local.get $acc))
      (then (call $zeroFloats
        (i32.add (local.get $dw) (i32.mul (local.get $kk) (local.get $outRowB)))
        (i32.mul (i32.sub (local.get $k4) (local.get $kk)) (local.get $outC)))))
    (block $tapsDone
      (loop $tapTiles
        (br_if $tapsDone (i32.ge_u (local.get $tap) (local.get $kk)))
        (local.set $taps (select (i32.const 4) (i32.const 1)
          (i32.le_u (i32.add (local.get $tap) (i32.const 4)) (local.get $kk))))
        (local.set $j (i32.const 0))
        (loop $columns
          (call $filterGradTile (local.get $x) (local.get $dy)
            (i32.add (local.get $dw) (i32.shl (i32.add (i32.mul (local.get $tap) (local.get $outC)) (local.get $j)) (i32.const 2)))
            (i32.shl (local.get $j) (i32.const 2)) (local.get $m) (local.get $count) (local.get $tap) (local.get $taps)
            (local.get $rowLen) (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH) (local.get $outW)
            (local.get $outRowB) (local.get $sh) (local.get $sw) (local.get $acc))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br_if $columns (i32.lt_u (local.get $j) (local.get $outC))))
        (local.set $tap (i32.add (local.get $tap) (local.get $taps)))
        (br $tapTiles))))

  ;; One tile of the sums above: taps [tap, tap + taps) (taps 4 or 1) by the 8 channels from byte
  ;; jB of each dy row, over positions [m, m + count), into dw's tile (rows outRowB bytes apart).
  (func $filterGradTile (param $x i32) (param $dy i32) (param $dw i32) (param $jB i32) (param $m i32) (param $count i32)
    (param $tap i32) (param $taps i32) (param $rowLen i32) (param $inH i32) (param $inW i32) (param $inC i32)
    (param $outH i32) (param $outW i32) (param $outRowB i32) (param $sh i32) (param $sw i32) (param $acc i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $inRowB i32) (local $step i32)
    (local $ox i32) (local $oy i32) (local $b i32) (local $n i32) (local $p i32) (local $pd i32) (local $stop i32) (local $q i32)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $inRowB (i32.shl (i32.mul (local.get $inW) (local.get $inC)) (i32.const 2)))
    (local.set $step (i32.shl (i32.mul (local.get $sw) (local.get $inC)) (i32.const 2)))
    ;; each tap's byte offset from its position's patch origin: (r, t) = (tap / rowLen, tap % rowLen)
    (local.set $o0 (call $tapOffset (local.get $tap) (local.get $rowLen) (local.get $inRowB)))
    (local.set $o1 (call $tapOffset (i32.add (local.get $tap) (i32.const 1)) (local.get $rowLen) (local.get $inRowB)))
    (local.set $o2 (call $tapOffset (i32.add (local.get $tap) (i32.const 2)) (local.get $rowLen) (local.get $inRowB)))
    (local.set $o3 (call $tapOffset (i32.add (local.get $tap) (i32.const 3)) (local.get $rowLen) (local.get $inRowB)))
    (if (local.get $acc)
      (then
        (local.set $q (local.get $dw))
        (local.set $c00 (v128.load (local.get $q)))
        (local.set $c01 (v128.load offset=16 (local.get $q)))
        (if (i32.eq (local.get $taps) (i32.const 4))
          (then
            (local.set $q (i32.add (local.get $q) (local.get $outRowB)))
            (local.set $c10 (v128.load (local.get $q)))
            (local.set $c11 (v128.load offset=16 (local.get $q)))
            (local.set $q (i32.add (local.get $q) (local.get $outRowB)))
            (local.set $c20 (v128.load (local.get $q)))
            (local.set $c21 (v128.load offset=16 (local.get $q)))
            (local.set $q (i32.add (local.get $q) (local.get $outRowB)))
            (local.set $c30 (v128.load (local.get $q)))
            (local.set $c31 (v128.load offset=16 (local.get $q)))))))
    (local.set $ox (i32.rem_u (local.get $m) (local.get $outW)))
    (local.set $oy (i32.div_u (local.get $m) (local.get $outW)))
    (local.set $b (i32.div_u (local.get $oy) (local.get $outH)))
    (local.set $oy (i32.rem_u (local.get $oy) (local.get $outH)))
    (local.set $pd (i32.add (local.get $dy) (local.get $jB)))
    ;; a run of positions along one output row at a time
    (block $done
      (loop $runs
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $n (i32.sub (local.get $outW) (local.get $ox)))
        (if (i32.lt_u (local.get $count) (local.get $n)) (then (local.set $n (local.get $count))))
        (local.set $p (i32.add (local.get $x) (i32.add
          (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.mul (local.get $oy) (local.get $sh))) (local.get $inRowB))
          (i32.mul (local.get $ox) (local.get $step)))))
        (local.set $stop (i32.add (local.get $p) (i32.mul (local.get $n) (local.get $step))))
        (if (i32.eq (local.get $taps) (i32.const 4))
          (then
            (loop $positions
              (local.set $d0 (v128.load (local.get $pd)))
              (local.set $d1 (v128.load offset=16 (local.get $pd)))
              (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $o0))))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $o1))))
              (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $o2))))
              (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $o3))))
              (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $pd (i32.add (local.get $pd) (local.get $outRowB)))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (br_if $positions (i32.lt_u (local.get $p) (local.get $stop)))))
          (else
            (loop $positions
              (local.set $s (v128.load32_splat (i32.add (local.get $p) (local.get $o0))))
              (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (v128.load (local.get $pd)))))
              (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $pd)))))
              (local.set $pd (i32.add (local.get $pd) (local.get $outRowB)))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (br_if $positions (i32.lt_u (local.get $p) (local.get $stop))))))
        (local.set $count (i32.sub (local.get $count) (local.get $n)))
        (local.set $ox (i32.const 0))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (if (i32.eq (local.get $oy) (local.get $outH))
          (then
            (local.set $oy (i32.const 0))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))))
        (br $runs)))
    (local.set $q (local.get $dw))
    (v128.store (local.get $q) (local.get $c00))
    (v128.store offset=16 (local.get $q) (local.get $c01))
    (if (i32.eq (local.get $taps) (i32.const 4))
      (then
        (local.set $q (i32.add (local.get $q) (local.get $outRowB)))
        (v128.store (local.get $q) (local.get $c10))
        (v128.store offset=16 (local.get $q) (local.get $c11))
        (local.set $q (i32.add (local.get $q) (local.get $outRowB)))
        (v128.store (local.get $q) (local.get $c20))
        (v128.store offset=16 (local.get $q) (local.get $c21))
        (local.set $q (i32.add (local.get $q) (local.get $outRowB)))
        (v128.store (local.get $q) (local.get $c30))
        (v128.store offset=16 (local.get $q) (local.get $c31)))))

  ;; The byte offset of filter tap k (in the filter's [r, c, i] order, rows of rowLen floats) from
  ;; its position's patch origin in a channels-last input whose rows are inRowB bytes.
  (func $tapOffset (param $k i32) (param $rowLen i32) (param $inRowB i32) (result i32)
    (i32.add (i32.mul (i32.div_u (local.get $k) (local.get $rowLen)) (local.get $inRowB))
      (i32.shl (i32.rem_u (local.get $k) (local.get $rowLen)) (i32.const 2))))

  ;; The input x [batch, inH, inW, c] with top and left rows and columns of zeros before it, into
  ;; xp [batch, pH, pW, c] (zeros wherever x does not land), for the filter gradient to read every
  ;; patch in place.
  (func (export "padInput") (param $x i32) (param $xp i32) (param $batch i32) (param $inH i32) (param $inW i32)
    (param $c i32) (param $pH i32) (param $pW i32) (param $top i32) (param $left i32)
    (local $b i32) (local $y i32) (local $rowB i32) (local $pRowB i32)
    (local.set $rowB (i32.shl (i32.mul (local.get $inW) (local.get $c)) (i32.const 2)))
    (local.set $pRowB (i32.shl (i32.mul (local.get $pW) (local.get $c)) (i32.const 2)))
    (memory.fill (local.get $xp) (i32.const 0) (i32.mul (i32.mul (local.get $batch) (local.get $pH)) (local.get $pRowB)))
    (block $done
      (loop $images
        (br_if $done (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $y (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $inH)))
            (memory.copy
              (i32.add (local.get $xp) (i32.add
                (i32.mul (i32.add (i32.mul (local.get $b) (local.get $pH)) (i32.add (local.get $y) (local.get $top))) (local.get $pRowB))
                (i32.shl (i32.mul (local.get $left) (local.get $c)) (i32.const 2))))
              (local.get $x)
              (local.get $rowB))
            (local.set $x (i32.add (local.get $x) (local.get $rowB)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $rows)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $images))))

  ;; Gathers the patches of output positions [m, m + count) of a channels-last convolution
  ;; (dilation 1) into cols, one row of K = fh * fw * inC floats per position, in the filter's own
  ;; [r, c, i] order, 0 in padding, each row `stride` floats apart (zeros after the K); position
  ;; m = (b * outH + oy) * outW + ox reads the input from (oy * sh - top, ox * sw - left). A filter
  ;; row whose taps all lie inside is one copy of fw adjacent pixels.
  (func $gatherPatches (param $x i32) (param $cols i32) (param $stride i32) (param $m i32) (param $count i32)
    (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $end i32) (local $b i32) (local $oy i32) (local $ox i32) (local $dst i32) (local $r i32) (local $c i32)
    (local $y i32) (local $y0 i32) (local $xx i32) (local $rowFloats i32) (local $pixel i32) (local $src i32)
    (local $inRowBytes i32)
    (local.set $rowFloats (i32.mul (local.get $fw) (local.get $inC)))
    (local.set $inRowBytes (i32.shl (i32.mul (local.get $inW) (local.get $inC)) (i32.const 2)))
    (local.set $end (i32.add (local.get $m) (local.get $count)))
    (local.set $ox (i32.rem_u (local.get $m) (local.get $outW)))
    (local.set $oy (i32.div_u (local.get $m) (local.get $outW)))
    (local.set $b (i32.div_u (local.get $oy) (local.get $outH)))
    (local.set $oy (i32.rem_u (local.get $oy) (local.get $outH)))
    (local.set $dst (local.get $cols))
    (block $done
      (loop $positions
        (br_if $done (i32.ge_u (local.get $m) (local.get $end)))
        (local.set $xx (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
        (if (i32.and
              (i32.and (i32.ge_s (local.get $y0) (i32.const 0)) (i32.le_s (i32.add (local.get $y0) (local.get $fh)) (local.get $inH)))
              (i32.and (i32.ge_s (local.get $xx) (i32.const 0)) (i32.le_s (i32.add (local.get $xx) (local.get $fw)) (local.get $inW))))
          (then
            ;; the whole patch lies inside (most positions): fh runs of fw adjacent pixels, an input row apart
            (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH))
              (local.get $y0)) (local.get $inW)) (local.get $xx)) (local.get $inC)) (i32.const 2))))
            (local.set $r (i32.const 0))
            (loop $rows
              (if (i32.lt_u (local.get $rowFloats) (i32.const 8))
                (then
                  ;; a short run (one input channel): copied in line, a call costs more than it
                  (local.set $c (i32.const 0))
                  (loop $short
                    (f32.store (i32.add (local.get $dst) (local.get $c)) (f32.load (i32.add (local.get $src) (local.get $c))))
                    (local.set $c (i32.add (local.get $c) (i32.const 4)))
                    (br_if $short (i32.lt_u (local.get $c) (i32.shl (local.get $rowFloats) (i32.const 2))))))
                (else (call $copyFloats (local.get $src) (local.get $dst) (local.get $rowFloats))))
              (local.set $src (i32.add (local.get $src) (local.get $inRowBytes)))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rowFloats) (i32.const 2))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $rows (i32.lt_u (local.get $r) (local.get $fh)))))
          (else
            (local.set $r (i32.const 0))
            (loop $taps
              (local.set $y (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $r)) (local.get $top)))
              ;; the float index of the filter row's first pixel, (b, y, xx); read only where inside
              (local.set $pixel (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (local.get $y))
                (local.get $inW)) (local.get $xx)) (local.get $inC)))
              (if (i32.and (i32.lt_u (local.get $y) (local.get $inH))
                    (i32.and (i32.ge_s (local.get $xx) (i32.const 0))
                      (i32.le_s (i32.add (local.get $xx) (local.get $fw)) (local.get $inW))))
                (then
                  (if (i32.lt_u (local.get $rowFloats) (i32.const 8))
                    (then
                      ;; a short run (one input channel): copied in line, a call costs more than it
                      (local.set $src (i32.add (local.get $x) (i32.shl (local.get $pixel) (i32.const 2))))
                      (local.set $c (i32.const 0))
                      (loop $short
                        (f32.store (i32.add (local.get $dst) (local.get $c)) (f32.load (i32.add (local.get $src) (local.get $c))))
                        (local.set $c (i32.add (local.get $c) (i32.const 4)))
                        (br_if $short (i32.lt_u (local.get $c) (i32.shl (local.get $rowFloats) (i32.const 2))))))
                    (else
                      (call $copyFloats (i32.add (local.get $x) (i32.shl (local.get $pixel) (i32.const 2)))
                        (local.get $dst) (local.get $rowFloats)))))
                (else
                  (local.set $c (i32.const 0))
                  (loop $tapColumns
                    (if (i32.and (i32.lt_u (local.get $y) (local.get $inH))
                          (i32.lt_u (i32.add (local.get $xx) (local.get $c)) (local.get $inW)))
                      (then (call $copyFloats
                        (i32.add (local.get $x) (i32.shl (i32.add (local.get $pixel) (i32.mul (local.get $c) (local.get $inC))) (i32.const 2)))
                        (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $c) (local.get $inC)) (i32.const 2)))
                        (local.get $inC)))
                      (else (call $zeroFloats
                        (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $c) (local.get $inC)) (i32.const 2)))
                        (local.get $inC))))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br_if $tapColumns (i32.lt_u (local.get $c) (local.get $fw))))))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rowFloats) (i32.const 2))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $taps (i32.lt_u (local.get $r) (local.get $fh))))))
        (if (i32.gt_u (local.get $stride) (i32.mul (local.get $fh) (local.get $rowFloats)))
          (then (call $zeroFloats (local.get $dst) (i32.sub (local.get $stride) (i32.mul (local.get $fh) (local.get $rowFloats))))))
        (local.set $dst (i32.add (local.get $dst)
          (i32.shl (i32.sub (local.get $stride) (i32.mul (local.get $fh) (local.get $rowFloats))) (i32.const 2))))
        (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
        (if (i32.eq (local.get $ox) (local.get $outW))
          (then
            (local.set $ox (i32.const 0))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (if (i32.eq (local.get $oy) (local.get $outH))
              (then
                (local.set $oy (i32.const 0))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $positions))))

  ;; n floats from src to dst, four at a time while four remain.
  (func $copyFloats (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone
      (loop $v
        (br_if $vDone (i32.ge_u (local.get $src) (local.get $end4)))
        (v128.store (local.get $dst) (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $v)))
    (block $sDone
      (loop $s
        (br_if $sDone (i32.ge_u (local.get $src) (local.get $end)))
        (f32.store (local.get $dst) (f32.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $s))))

  ;; max(v, 0) over n floats from p on, four at a time while four remain.
  (func $reluInPlace (param $p i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone
      (loop $v
        (br_if $vDone (i32.ge_u (local.get $p) (local.get $end4)))
        (v128.store (local.get $p) (f32x4.max (v128.load (local.get $p)) (f32x4.splat (f32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $v)))
    (block $sDone
      (loop $s
        (br_if $sDone (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (local.get $p) (f32.max (f32.load (local.get $p)) (f32.const 0)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $s))))

  ;; n zeros from dst on.
  (func $zeroFloats (param $dst i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $z
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.const 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $z))))
)
