/// tanh as a 13/6 rational function on [-7.9053, 7.9053] (the Eigen/TensorFlow float kernel), clamped
/// outside, where tanh is 1 to float precision. Max absolute error 3.4e-7 against float64 tanh (checked
/// on 2·10⁶ points in [-12, 12]), well below what the encoder equivalence test tolerates.
///
/// Written as scalar code without calls or branches so that loops over it auto-vectorise in release
/// builds, while debug builds (the test suite) stay fast: generic SIMD types are not inlined at -Onone
/// and made a debug diarization 20× slower.
@inline(__always)
func fastTanh(_ x: Float) -> Float {
    let bound: Float = 7.90531110763549805
    let xc = x > bound ? bound : (x < -bound ? -bound : x)
    let x2 = xc * xc
    var p: Float = x2 * -2.76076847742355e-16 + 2.00018790482477e-13
    p = x2 * p + -8.60467152213735e-11
    p = x2 * p + 5.12229709037114e-08
    p = x2 * p + 1.48572235717979e-05
    p = x2 * p + 6.37261928875436e-04
    p = x2 * p + 4.89352455891786e-03
    p = xc * p
    var q: Float = x2 * 1.19825839466702e-06 + 1.18534705686654e-04
    q = x2 * q + 2.26843463243900e-03
    q = x2 * q + 4.89352518554385e-03
    return p / q
}
