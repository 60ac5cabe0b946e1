;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
(module
  (import "env" "memory" (memory 1))

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
    (local $divideM i32) (local $divideV i32)
    (local.set $tiny (f32x4.splat (f32.const 1e-30)))
    ;; Once beta^t is below half an ulp of 1, the bias correction d is exactly 1 in float32 (after
    ;; about 165 updates for d1 at beta1 0.9, 17300 for d2 at beta2 0.999), and x / 1 is x for every
    ;; float: skipping that division changes no bit and spares the divider.
    (local.set $divideM (f32.ne (local.get $d1) (f32.const 1)))
    (local.set $divideV (f32.ne (local.get $d2) (f32.const 1)))
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
              (f32x4.div
                (if (result v128) (local.get $divideM)
                  (then (f32x4.div (local.get $mv) (f32x4.splat (local.get $d1))))
                  (else (local.get $mv)))
                (f32x4.add
                  (f32x4.sqrt
                    (if (result v128) (local.get $divideV)
                      (then (f32x4.div (local.get $vv) (f32x4.splat (local.get $d2))))
                      (else (local.get $vv))))
                  (f32x4.splat (local.get $eps))))
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
)
