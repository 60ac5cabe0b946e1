;; batchlab's SIMD kernels for the wasm backend, run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
;;
;; Channel kernels see an activation as `rows` rows of `c` float32 channels, c a multiple of 4;
;; per-channel vectors (acc, mean, scale, ...) hold c float32 values. Sums add into `acc`, so the
;; caller controls blocking and float64 totals. Built by scripts/build-simd.ts into kernels-wasm.ts.
(module
  (import "env" "memory" (memory 1))

  ;; acc[j] += x[r, j]
  (func (export "colSums") (param $x i32) (param $rows i32) (param $c i32) (param $acc i32)
    (local $end i32) (local $rowBytes i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (v128.store (i32.add (local.get $acc) (local.get $j))
            (f32x4.add
              (v128.load (i32.add (local.get $acc) (local.get $j)))
              (v128.load (i32.add (local.get $x) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (br $row))))

  ;; acc[j] += (x[r, j] - mean[j])^2
  (func (export "colCentredSquares") (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $acc i32)
    (local $end i32) (local $rowBytes i32) (local $j i32) (local $d v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (local.set $d
            (f32x4.sub
              (v128.load (i32.add (local.get $x) (local.get $j)))
              (v128.load (i32.add (local.get $mean) (local.get $j)))))
          (v128.store (i32.add (local.get $acc) (local.get $j))
            (f32x4.add
              (v128.load (i32.add (local.get $acc) (local.get $j)))
              (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (br $row))))

  ;; accDy[j] += dy[r, j]; accDyXc[j] += dy[r, j] * (x[r, j] - mean[j])
  (func (export "colGradSums")
    (param $dy i32) (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $accDy i32) (param $accDyXc i32)
    (local $end i32) (local $rowBytes i32) (local $j i32) (local $g v128)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (local.set $g (v128.load (i32.add (local.get $dy) (local.get $j))))
          (v128.store (i32.add (local.get $accDy) (local.get $j))
            (f32x4.add (v128.load (i32.add (local.get $accDy) (local.get $j))) (local.get $g)))
          (v128.store (i32.add (local.get $accDyXc) (local.get $j))
            (f32x4.add
              (v128.load (i32.add (local.get $accDyXc) (local.get $j)))
              (f32x4.mul (local.get $g)
                (f32x4.sub
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $mean) (local.get $j)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (br $row))))

  ;; y[r, j] = (x[r, j] - mean[j]) * scale[j] + shift[j]
  (func (export "normalize")
    (param $x i32) (param $rows i32) (param $c i32) (param $mean i32) (param $scale i32) (param $shift i32) (param $y i32)
    (local $end i32) (local $rowBytes i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (v128.store (i32.add (local.get $y) (local.get $j))
            (f32x4.add
              (f32x4.mul
                (f32x4.sub
                  (v128.load (i32.add (local.get $x) (local.get $j)))
                  (v128.load (i32.add (local.get $mean) (local.get $j))))
                (v128.load (i32.add (local.get $scale) (local.get $j))))
              (v128.load (i32.add (local.get $shift) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
        (br $row))))

  ;; dx[r, j] = k[j] * dy[r, j] + e[j] * (x[r, j] - mean[j]) + g[j]
  (func (export "normalizeGrad")
    (param $dy i32) (param $x i32) (param $rows i32) (param $c i32)
    (param $mean i32) (param $k i32) (param $e i32) (param $g i32) (param $dx i32)
    (local $end i32) (local $rowBytes i32) (local $j i32)
    (local.set $rowBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $rowBytes))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $j (i32.const 0))
        (loop $lane
          (v128.store (i32.add (local.get $dx) (local.get $j))
            (f32x4.add
              (f32x4.add
                (f32x4.mul
                  (v128.load (i32.add (local.get $k) (local.get $j)))
                  (v128.load (i32.add (local.get $dy) (local.get $j))))
                (f32x4.mul
                  (v128.load (i32.add (local.get $e) (local.get $j)))
                  (f32x4.sub
                    (v128.load (i32.add (local.get $x) (local.get $j)))
                    (v128.load (i32.add (local.get $mean) (local.get $j))))))
              (v128.load (i32.add (local.get $g) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $j) (local.get $rowBytes))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $dx (i32.add (local.get $dx) (local.get $rowBytes)))
        (br $row))))
  ;; One Adam update of n float32 weights, op for op as tfjs' AdamOptimizer in float32:
  ;;   m' = m * b1 + g * c1;  v' = v * b2 + g^2 * c2   (c1 = 1 - b1, c2 = 1 - b2)
  ;;   p' = (m' / d1) / (sqrt(v' / d2) + eps) * negLr + p   (d1 = 1 - b1^t, d2 = 1 - b2^t)
  ;; then m' and v' below 1e-30 in magnitude are stored as 0 (NaN stays NaN): decaying moments would otherwise sink
  ;; into subnormal floats, which x86 computes many times slower. Writes pOut, mOut, vOut.
  (func $adamOne (param $p i32) (param $g i32) (param $m i32) (param $v i32)
    (param $pOut i32) (param $mOut i32) (param $vOut i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32)
    (param $d1 f32) (param $d2 f32) (param $eps f32) (param $negLr f32)
    (local $gv f32) (local $mv f32) (local $vv f32)
    (local.set $gv (f32.load (local.get $g)))
    (local.set $mv (f32.add (f32.mul (f32.load (local.get $m)) (local.get $b1)) (f32.mul (local.get $gv) (local.get $c1))))
    (local.set $vv (f32.add (f32.mul (f32.load (local.get $v)) (local.get $b2))
      (f32.mul (f32.mul (local.get $gv) (local.get $gv)) (local.get $c2))))
    (f32.store (local.get $pOut)
      (f32.add
        (f32.mul
          (f32.div (f32.div (local.get $mv) (local.get $d1))
            (f32.add (f32.sqrt (f32.div (local.get $vv) (local.get $d2))) (local.get $eps)))
          (local.get $negLr))
        (f32.load (local.get $p))))
    (f32.store (local.get $mOut) (select (f32.const 0) (local.get $mv) (f32.lt (f32.abs (local.get $mv)) (f32.const 1e-30))))
    (f32.store (local.get $vOut) (select (f32.const 0) (local.get $vv) (f32.lt (f32.abs (local.get $vv)) (f32.const 1e-30)))))

  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $pOut i32) (param $mOut i32) (param $vOut i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32)
    (param $d1 f32) (param $d2 f32) (param $eps f32) (param $negLr f32)
    (local $i i32) (local $vecEnd i32) (local $gv v128) (local $mv v128) (local $vv v128) (local $tiny v128)
    (local.set $tiny (f32x4.splat (f32.const 1e-30)))
    (local.set $vecEnd (i32.and (local.get $n) (i32.const -4)))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $gv (v128.load (local.get $g)))
        (local.set $mv (f32x4.add (f32x4.mul (v128.load (local.get $m)) (f32x4.splat (local.get $b1)))
          (f32x4.mul (local.get $gv) (f32x4.splat (local.get $c1)))))
        (local.set $vv (f32x4.add (f32x4.mul (v128.load (local.get $v)) (f32x4.splat (local.get $b2)))
          (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $c2)))))
        (v128.store (local.get $pOut)
          (f32x4.add
            (f32x4.mul
              (f32x4.div (f32x4.div (local.get $mv) (f32x4.splat (local.get $d1)))
                (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $d2)))) (f32x4.splat (local.get $eps))))
              (f32x4.splat (local.get $negLr)))
            (v128.load (local.get $p))))
        (v128.store (local.get $mOut) (v128.andnot (local.get $mv) (f32x4.lt (f32x4.abs (local.get $mv)) (local.get $tiny))))
        (v128.store (local.get $vOut) (v128.andnot (local.get $vv) (f32x4.lt (f32x4.abs (local.get $vv)) (local.get $tiny))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (local.set $pOut (i32.add (local.get $pOut) (i32.const 16)))
        (local.set $mOut (i32.add (local.get $mOut) (i32.const 16)))
        (local.set $vOut (i32.add (local.get $vOut) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $adamOne (local.get $p) (local.get $g) (local.get $m) (local.get $v)
          (local.get $pOut) (local.get $mOut) (local.get $vOut)
          (local.get $b1) (local.get $c1) (local.get $b2) (local.get $c2)
          (local.get $d1) (local.get $d2) (local.get $eps) (local.get $negLr))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (i32.const 4)))
        (local.set $pOut (i32.add (local.get $pOut) (i32.const 4)))
        (local.set $mOut (i32.add (local.get $mOut) (i32.const 4)))
        (local.set $vOut (i32.add (local.get $vOut) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))
  ;; The transposed im2col of ../columns.ts (fillColumnsT): cols[k, m] = x at tap k of output
  ;; position m, 0 in padding, for NHWC float32 x; k = (r * fw + c) * inC + i and
  ;; m = (b * outH + oy) * outW + ox. Fills cols row by row, front to back: writing the inC rows of
  ;; a tap side by side measured 2x slower (inC store streams a row's length apart).
  (func (export "im2colT") (param $x i32) (param $cols i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32) (param $outW i32)
    (param $fh i32) (param $fw i32) (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $r i32) (local $c i32) (local $i i32) (local $b i32) (local $oy i32) (local $ox i32)
    (local $y i32) (local $xx i32) (local $dst i32) (local $xRow i32) (local $pixelBytes i32) (local $stepBytes i32)
    (local.set $pixelBytes (i32.shl (local.get $inC) (i32.const 2)))
    (local.set $stepBytes (i32.mul (local.get $sw) (local.get $pixelBytes)))
    (local.set $dst (local.get $cols))
    (local.set $r (i32.const 0))
    (loop $rLoop
      (local.set $c (i32.const 0))
      (loop $cLoop
        (local.set $i (i32.const 0))
        (loop $iLoop
          (local.set $b (i32.const 0))
          (loop $bLoop
            (local.set $oy (i32.const 0))
            (loop $oyLoop
              (local.set $y (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (local.get $r)) (local.get $top)))
              ;; x at (b, y, ox * sw + c - left, i) for ox = 0; stepped by sw pixels
              (local.set $xRow (i32.add (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))
                (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (local.get $y)) (local.get $inW))
                  (i32.sub (local.get $c) (local.get $left))) (local.get $pixelBytes))))
              (local.set $xx (i32.sub (local.get $c) (local.get $left)))
              (local.set $ox (i32.const 0))
              (if (i32.lt_u (local.get $y) (local.get $inH))
                (then
                  (loop $oxLoop
                    ;; a branch, not a select: the load must not run for a column outside the input
                    (f32.store (local.get $dst)
                      (if (result f32) (i32.lt_u (local.get $xx) (local.get $inW))
                        (then (f32.load (local.get $xRow)))
                        (else (f32.const 0))))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                    (local.set $xRow (i32.add (local.get $xRow) (local.get $stepBytes)))
                    (local.set $xx (i32.add (local.get $xx) (local.get $sw)))
                    (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                    (br_if $oxLoop (i32.lt_u (local.get $ox) (local.get $outW)))))
                (else
                  (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $outW) (i32.const 2)))
                  (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $outW) (i32.const 2))))))
              (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
              (br_if $oyLoop (i32.lt_u (local.get $oy) (local.get $outH))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $bLoop (i32.lt_u (local.get $b) (local.get $batch))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $iLoop (i32.lt_u (local.get $i) (local.get $inC))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $cLoop (i32.lt_u (local.get $c) (local.get $fw))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rLoop (i32.lt_u (local.get $r) (local.get $fh))))
  )
  ;; c[i, :] = sum over k of A(i, k) * b[k, :], for c [m, n] and b [kk, n] row-major and A(i, k) at
  ;; a + 4 * (i * aRow + k * aCol), so a plain or a transposed left operand; with acc set, added to
  ;; what c holds. Accumulates each row of c in place over k, streaming b once per row: meant for few rows or a short k (batch size 1),
  ;; where packing b for a blocked product costs more than the product.
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

  ;; c[i, j] = sum over k of a[i, k] * b[j, k], for a [m, kk], b [n, kk] and c [m, n] row-major: the
  ;; product with a transposed right operand as dot products, streaming b once per row of a.
  (func (export "matMulDots") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $kk i32) (param $n i32)
    (local $i i32) (local $j i32) (local $k i32) (local $acc v128) (local $sum f32) (local $aRow i32) (local $bRow i32)
    (local $rowBytes i32) (local $vecBytes i32)
    (local.set $rowBytes (i32.shl (local.get $kk) (i32.const 2)))
    (local.set $vecBytes (i32.shl (i32.and (local.get $kk) (i32.const -4)) (i32.const 2)))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $aRow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $bRow (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $rowBytes))))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $vecDone
              (loop $vec
                (br_if $vecDone (i32.ge_u (local.get $k) (local.get $vecBytes)))
                (local.set $acc (f32x4.add (local.get $acc)
                  (f32x4.mul (v128.load (i32.add (local.get $aRow) (local.get $k))) (v128.load (i32.add (local.get $bRow) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $vec)))
            (local.set $sum (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
              (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_u (local.get $k) (local.get $rowBytes)))
                (local.set $sum (f32.add (local.get $sum)
                  (f32.mul (f32.load (i32.add (local.get $aRow) (local.get $k))) (f32.load (i32.add (local.get $bRow) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $tail)))
            (f32.store (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
              (local.get $sum))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))
  ;; c = op(a) b for c [m, n], b [kk, n] row-major, op(a)(i, k) at a + 4 * (i * aRow + k * aCol) (so
  ;; a plain or a transposed left operand), in 4 x 8 register tiles: per k, two vectors of b's row
  ;; and four scalars of a's column feed 8 accumulators. No packing of b, which XNNPACK redoes for
  ;; every product because weights change at every update. Rows past the last full tile of 4 and
  ;; columns past the last full tile of 8 go to $gemmScalar.
  (func (export "gemm") (param $a i32) (param $b i32) (param $c i32)
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

  ;; c[i, j] = sum over k of a[i, k] * b[j, k] for a [m, kk], b [n, kk], c [m, n] row-major (the
  ;; product with a transposed right operand, dy W^T), in 4 x 2 tiles of dot products: per four
  ;; k, four vectors of a and two of b feed 8 accumulators, summed across lanes at the end. Rows
  ;; and columns past the full tiles go to $dotsScalar.
  (func (export "gemmDots") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $kk i32) (param $n i32)
    (local $i i32) (local $j i32) (local $k i32) (local $m4 i32) (local $n2 i32) (local $k4 i32) (local $rowB i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32) (local $pb0 i32) (local $pb1 i32) (local $pc i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $y0 v128) (local $y1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $s00 f32) (local $s01 f32) (local $s10 f32) (local $s11 f32) (local $s20 f32) (local $s21 f32) (local $s30 f32) (local $s31 f32)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (local.set $k4 (i32.shl (i32.and (local.get $kk) (i32.const -4)) (i32.const 2)))
    (local.set $rowB (i32.shl (local.get $kk) (i32.const 2)))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m4)))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n2)))
            (local.set $c00 (v128.const f32x4 0 0 0 0))
            (local.set $c01 (v128.const f32x4 0 0 0 0))
            (local.set $c10 (v128.const f32x4 0 0 0 0))
            (local.set $c11 (v128.const f32x4 0 0 0 0))
            (local.set $c20 (v128.const f32x4 0 0 0 0))
            (local.set $c21 (v128.const f32x4 0 0 0 0))
            (local.set $c30 (v128.const f32x4 0 0 0 0))
            (local.set $c31 (v128.const f32x4 0 0 0 0))
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowB))))
            (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowB)))
            (local.set $pa2 (i32.add (local.get $pa1) (local.get $rowB)))
            (local.set $pa3 (i32.add (local.get $pa2) (local.get $rowB)))
            (local.set $pb0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $rowB))))
            (local.set $pb1 (i32.add (local.get $pb0) (local.get $rowB)))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $k4)))
                (local.set $x0 (v128.load (i32.add (local.get $pa0) (local.get $k))))
                (local.set $x1 (v128.load (i32.add (local.get $pa1) (local.get $k))))
                (local.set $x2 (v128.load (i32.add (local.get $pa2) (local.get $k))))
                (local.set $x3 (v128.load (i32.add (local.get $pa3) (local.get $k))))
                (local.set $y0 (v128.load (i32.add (local.get $pb0) (local.get $k))))
                (local.set $y1 (v128.load (i32.add (local.get $pb1) (local.get $k))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x0) (local.get $y0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x0) (local.get $y1))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x1) (local.get $y0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x1) (local.get $y1))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x2) (local.get $y0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x2) (local.get $y1))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x3) (local.get $y0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x3) (local.get $y1))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $kLoop)))
            (local.set $s00 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c00)) (f32x4.extract_lane 1 (local.get $c00)))
              (f32.add (f32x4.extract_lane 2 (local.get $c00)) (f32x4.extract_lane 3 (local.get $c00)))))
            (local.set $s01 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c01)) (f32x4.extract_lane 1 (local.get $c01)))
              (f32.add (f32x4.extract_lane 2 (local.get $c01)) (f32x4.extract_lane 3 (local.get $c01)))))
            (local.set $s10 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c10)) (f32x4.extract_lane 1 (local.get $c10)))
              (f32.add (f32x4.extract_lane 2 (local.get $c10)) (f32x4.extract_lane 3 (local.get $c10)))))
            (local.set $s11 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c11)) (f32x4.extract_lane 1 (local.get $c11)))
              (f32.add (f32x4.extract_lane 2 (local.get $c11)) (f32x4.extract_lane 3 (local.get $c11)))))
            (local.set $s20 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c20)) (f32x4.extract_lane 1 (local.get $c20)))
              (f32.add (f32x4.extract_lane 2 (local.get $c20)) (f32x4.extract_lane 3 (local.get $c20)))))
            (local.set $s21 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c21)) (f32x4.extract_lane 1 (local.get $c21)))
              (f32.add (f32x4.extract_lane 2 (local.get $c21)) (f32x4.extract_lane 3 (local.get $c21)))))
            (local.set $s30 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c30)) (f32x4.extract_lane 1 (local.get $c30)))
              (f32.add (f32x4.extract_lane 2 (local.get $c30)) (f32x4.extract_lane 3 (local.get $c30)))))
            (local.set $s31 (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $c31)) (f32x4.extract_lane 1 (local.get $c31)))
              (f32.add (f32x4.extract_lane 2 (local.get $c31)) (f32x4.extract_lane 3 (local.get $c31)))))
            (block $tailDone
              (loop $tail
                (br_if $tailDone (i32.ge_u (local.get $k) (local.get $rowB)))
                (local.set $s00 (f32.add (local.get $s00)
                  (f32.mul (f32.load (i32.add (local.get $pa0) (local.get $k))) (f32.load (i32.add (local.get $pb0) (local.get $k))))))
                (local.set $s01 (f32.add (local.get $s01)
                  (f32.mul (f32.load (i32.add (local.get $pa0) (local.get $k))) (f32.load (i32.add (local.get $pb1) (local.get $k))))))
                (local.set $s10 (f32.add (local.get $s10)
                  (f32.mul (f32.load (i32.add (local.get $pa1) (local.get $k))) (f32.load (i32.add (local.get $pb0) (local.get $k))))))
                (local.set $s11 (f32.add (local.get $s11)
                  (f32.mul (f32.load (i32.add (local.get $pa1) (local.get $k))) (f32.load (i32.add (local.get $pb1) (local.get $k))))))
                (local.set $s20 (f32.add (local.get $s20)
                  (f32.mul (f32.load (i32.add (local.get $pa2) (local.get $k))) (f32.load (i32.add (local.get $pb0) (local.get $k))))))
                (local.set $s21 (f32.add (local.get $s21)
                  (f32.mul (f32.load (i32.add (local.get $pa2) (local.get $k))) (f32.load (i32.add (local.get $pb1) (local.get $k))))))
                (local.set $s30 (f32.add (local.get $s30)
                  (f32.mul (f32.load (i32.add (local.get $pa3) (local.get $k))) (f32.load (i32.add (local.get $pb0) (local.get $k))))))
                (local.set $s31 (f32.add (local.get $s31)
                  (f32.mul (f32.load (i32.add (local.get $pa3) (local.get $k))) (f32.load (i32.add (local.get $pb1) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $tail)))
            (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
            (f32.store (local.get $pc) (local.get $s00))
            (f32.store offset=4 (local.get $pc) (local.get $s01))
            (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $n) (i32.const 2))))
            (f32.store (local.get $pc) (local.get $s10))
            (f32.store offset=4 (local.get $pc) (local.get $s11))
            (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $n) (i32.const 2))))
            (f32.store (local.get $pc) (local.get $s20))
            (f32.store offset=4 (local.get $pc) (local.get $s21))
            (local.set $pc (i32.add (local.get $pc) (i32.shl (local.get $n) (i32.const 2))))
            (f32.store (local.get $pc) (local.get $s30))
            (f32.store offset=4 (local.get $pc) (local.get $s31))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $iLoop)))
    (call $dotsScalar (local.get $a) (local.get $b) (local.get $c) (local.get $kk) (local.get $n)
      (i32.const 0) (local.get $m4) (local.get $n2) (local.get $n))
    (call $dotsScalar (local.get $a) (local.get $b) (local.get $c) (local.get $kk) (local.get $n)
      (local.get $m4) (local.get $m) (i32.const 0) (local.get $n)))

  ;; c[i, j] for i in [i0, i1), j in [j0, j1) of the product above, one dot product at a time.
  (func $dotsScalar (param $a i32) (param $b i32) (param $c i32) (param $kk i32) (param $n i32)
    (param $i0 i32) (param $i1 i32) (param $j0 i32) (param $j1 i32)
    (local $i i32) (local $j i32) (local $k i32) (local $sum f32) (local $pa i32) (local $pb i32)
    (local.set $i (local.get $i0))
    (block $iDone
      (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $i1)))
        (local.set $j (local.get $j0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $j1)))
            (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $kk)) (i32.const 2))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $j) (local.get $kk)) (i32.const 2))))
            (local.set $sum (f32.const 0))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kk)))
                (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $kLoop)))
            (f32.store (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
              (local.get $sum))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop))))
  ;; MaxPoolGrad of a 2x2 pool with stride 2 and no padding (the common CNN pool), NHWC float32, c a
  ;; multiple of 4: each window's dy goes to its arg-max, four channels at a time. The arg-max is
  ;; ../max-pool-grad.ts's (the cpu backend's): the first pixel in row-major order strictly greater
  ;; than everything before it, starting from -Infinity, so NaN never wins and a window of -Infinity
  ;; routes nowhere. dx = 0 + dy at the winner (so -0 becomes +0, as when adding into zeros).
  ;; When the windows do not cover the input (odd sides), dx is zeroed first.
  (func (export "maxPoolGrad2x2") (param $x i32) (param $dy i32) (param $dx i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $c i32) (param $outH i32) (param $outW i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $j i32)
    (local $pixB i32) (local $rowB i32) (local $p i32) (local $q i32) (local $rowStart i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $g v128) (local $best v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local.set $pixB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $rowB (i32.mul (local.get $inW) (local.get $pixB)))
    (if (i32.or (i32.ne (local.get $inH) (i32.shl (local.get $outH) (i32.const 1)))
                (i32.ne (local.get $inW) (i32.shl (local.get $outW) (i32.const 1))))
      (then (memory.fill (local.get $dx) (i32.const 0)
        (i32.mul (i32.mul (local.get $batch) (local.get $inH)) (local.get $rowB)))))
    (block $bDone
      (loop $bLoop
        (br_if $bDone (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $oy (i32.const 0))
        (block $oyDone
          (loop $oyLoop
            (br_if $oyDone (i32.ge_u (local.get $oy) (local.get $outH)))
            ;; byte offset of the window row's first pixel, the same in x and dx
            (local.set $rowStart (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.shl (local.get $oy) (i32.const 1)))
              (local.get $rowB)))
            (local.set $p (i32.add (local.get $x) (local.get $rowStart)))
            (local.set $q (i32.add (local.get $dx) (local.get $rowStart)))
            (local.set $ox (i32.const 0))
            (block $oxDone
              (loop $oxLoop
                (br_if $oxDone (i32.ge_u (local.get $ox) (local.get $outW)))
                (local.set $j (i32.const 0))
                (loop $lane
                  (local.set $v0 (v128.load (i32.add (local.get $p) (local.get $j))))
                  (local.set $v1 (v128.load (i32.add (i32.add (local.get $p) (local.get $pixB)) (local.get $j))))
                  (local.set $v2 (v128.load (i32.add (i32.add (local.get $p) (local.get $rowB)) (local.get $j))))
                  (local.set $v3 (v128.load (i32.add (i32.add (i32.add (local.get $p) (local.get $rowB)) (local.get $pixB)) (local.get $j))))
                  (local.set $g (v128.load (i32.add (local.get $dy) (local.get $j))))
                  (local.set $best (f32x4.splat (f32.const -inf)))
                  (local.set $m0 (f32x4.gt (local.get $v0) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $v0) (local.get $best) (local.get $m0)))
                  (local.set $m1 (f32x4.gt (local.get $v1) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $v1) (local.get $best) (local.get $m1)))
                  (local.set $m0 (v128.andnot (local.get $m0) (local.get $m1)))
                  (local.set $m2 (f32x4.gt (local.get $v2) (local.get $best)))
                  (local.set $best (v128.bitselect (local.get $v2) (local.get $best) (local.get $m2)))
                  (local.set $m0 (v128.andnot (local.get $m0) (local.get $m2)))
                  (local.set $m1 (v128.andnot (local.get $m1) (local.get $m2)))
                  (local.set $m3 (f32x4.gt (local.get $v3) (local.get $best)))
                  (local.set $m0 (v128.andnot (local.get $m0) (local.get $m3)))
                  (local.set $m1 (v128.andnot (local.get $m1) (local.get $m3)))
                  (local.set $m2 (v128.andnot (local.get $m2) (local.get $m3)))
                  (v128.store (i32.add (local.get $q) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m0))))
                  (v128.store (i32.add (i32.add (local.get $q) (local.get $pixB)) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m1))))
                  (v128.store (i32.add (i32.add (local.get $q) (local.get $rowB)) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m2))))
                  (v128.store (i32.add (i32.add (i32.add (local.get $q) (local.get $rowB)) (local.get $pixB)) (local.get $j))
                    (f32x4.add (v128.const f32x4 0 0 0 0) (v128.and (local.get $g) (local.get $m3))))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br_if $lane (i32.lt_u (local.get $j) (local.get $pixB))))
                (local.set $p (i32.add (local.get $p) (i32.shl (local.get $pixB) (i32.const 1))))
                (local.set $q (i32.add (local.get $q) (i32.shl (local.get $pixB) (i32.const 1))))
                (local.set $dy (i32.add (local.get $dy) (local.get $pixB)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxLoop)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyLoop)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bLoop))))
  ;; ReLU's gradient, dx = dy * step(x) as tfjs computes it (step: 1 above 0, 0 at or below, NaN for
  ;; NaN), for n float32 values, in one pass instead of Step, Cast and Multiply.
  (func (export "reluGrad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (local $end i32) (local $vecEnd i32) (local $v v128) (local $s v128) (local $f f32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $x) (local.get $vecEnd)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $s (v128.and (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1)))
        (local.set $s (v128.bitselect (local.get $v) (local.get $s) (f32x4.ne (local.get $v) (local.get $v))))
        (v128.store (local.get $dx) (f32x4.mul (v128.load (local.get $dy)) (local.get $s)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $f (f32.load (local.get $x)))
        (f32.store (local.get $dx) (f32.mul (f32.load (local.get $dy))
          (select (local.get $f) (select (f32.const 1) (f32.const 0) (f32.gt (local.get $f) (f32.const 0)))
            (f32.ne (local.get $f) (local.get $f)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
        (br $tail))))
)
