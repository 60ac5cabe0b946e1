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
)
