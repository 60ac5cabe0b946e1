;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
(module
  (import "env" "memory" (memory 1))

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
)
