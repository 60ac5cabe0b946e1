;; batchlab's SIMD kernels for the wasm backend (one module of several, built together by
;; scripts/build-simd.ts into kernels-wasm.ts), run on tfjs-backend-wasm's own memory (imported),
;; so they read and write tensors in place. Every pointer is a byte offset into that memory.
(module
  (import "env" "memory" (memory 1))

  ;; ReLU as tfjs-backend-wasm's own Relu computes it (XNNPACK's, on the bits): every value whose
  ;; sign bit is set becomes +0, every other is kept, so -0 and negative NaNs give 0 and positive
  ;; NaNs stay as they are; for n float32 values.
  (func (export "relu") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $vecEnd i32) (local $v v128) (local $i i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vecEnd (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vecDone
      (loop $vec
        (br_if $vecDone (i32.ge_u (local.get $x) (local.get $vecEnd)))
        (local.set $v (v128.load (local.get $x)))
        (v128.store (local.get $y) (v128.andnot (local.get $v) (i32x4.shr_s (local.get $v) (i32.const 31))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $i (i32.load (local.get $x)))
        (i32.store (local.get $y) (select (i32.const 0) (local.get $i) (i32.lt_s (local.get $i) (i32.const 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $tail))))

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
