// mistakes.js: the wrong gradient functions of backprop/mistakes.py that the
// practice problems recognise, transcribed function by function (same
// names, same lines, the wrong line marked ✗). Each takes (net, X, Y) for a
// two-layer network and returns {dWs: [dW1, dW2], dbs: [db1, db2]}, as the
// Python functions return ([dW1, dW2], [db1, db2]). Needs engine.js (mat,
// activations, network).

// z1, a1, z2, a2 of a two-layer network (mistakes._forward).
function mkForward(net, X) {
  const { z, a } = network.forward(net, X);
  return [z[1], a[1], z[2], a[2]];
}
// NumPy's x / m and d.mean(axis=1, keepdims=True), d.sum(axis=1, keepdims=True).
const mkDiv = (A, m) => mat.map(A, (v) => v / m);
const mkMean = (D) => D.map((row) => [row.reduce((s, v) => s + v, 0) / row.length]);
const mkSum = (D) => D.map((row) => [row.reduce((s, v) => s + v, 0)]);
// σ'(Z) of the output and of the hidden layer (net.output.prime, net.hidden.prime).
const mkOutPrime = (net, Z) => activations[net.output].prime(Z);
const mkHidPrime = (net, Z) => activations[net.hidden].prime(Z);

const mistakes = {
  // Rule 1 with y − a in place of a − y.
  sign_flipped(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(Y, a2), mkOutPrime(net, z2)); // ✗ y − a
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 1 for a sigmoid output and MSE written as a − y (the softmax form).
  sigmoid_output_with_a_minus_y(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.sub(a2, Y); // ✗ no σ′(z²)
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 1 with σ′ evaluated at a² = σ(z²) instead of z².
  output_sigma_prime_of_activation(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, a2)); // ✗ σ′(a²)
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 1 with δ² an alias of the cached a², changed in place.
  cached_output_changed_in_place(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const aliased = mat.sub(a2, Y); // ✗ d2 = a2; d2 -= Y changes a² as well
    const factor = mat.map(aliased, (v) => v * (1 - v)); // ✗ a²(1 − a²) of the changed a²
    const d2 = mat.mul(aliased, factor); // d2 *= a2 * (1 - a2)
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 2 with W² δ² in place of (W²)ᵀ δ².
  missing_transpose(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.mul(mat.matmul(W2, d2), mkHidPrime(net, z1)); // ✗ W2 where W2.T belongs
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 2 with σ′ evaluated at a¹ = σ(z¹) instead of z¹.
  sigma_prime_of_activation(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, a1)); // ✗ σ′(a¹)
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 2 without its factor σ′(z¹): (W²)ᵀ δ² alone.
  hidden_error_without_sigma_prime(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.matmulT(W2, d2); // ✗ no ⊙ σ′(z¹)
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // The 1/m is folded into δ, and the bias gradient averages once more.
  bias_averaged_twice(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mkDiv(mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)), m); // δ carries the 1/m
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1));
    const dW1 = mat.matmul(d1, mat.T(X)); // so no / m here
    const dW2 = mat.matmul(d2, mat.T(a1));
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // ✗ a mean divides by m again
  },

  // Rule 3 without the 1/m: the sum of δ over the batch, not its mean.
  bias_gradient_without_1_over_m(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(d1, mat.T(X)), m); // rule 4
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkSum(d1), mkSum(d2)] }; // ✗ a sum: no / m
  },

  // Rule 4 without the 1/m: the sum over the batch, not the mean.
  weight_gradient_without_1_over_m(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mat.matmul(d1, mat.T(X)); // ✗ no / m
    const dW2 = mat.matmul(d2, mat.T(a1)); // ✗
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 4 copied from the row convention: a δᵀ / m.
  row_convention_weight_gradient(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(X, mat.T(d1)), m); // ✗ a δᵀ
    const dW2 = mkDiv(mat.matmul(a1, mat.T(d2)), m); // ✗
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // Rule 4 with aˡ where aˡ⁻¹ belongs.
  activation_for_the_layer_input(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(d1, mat.T(a1)), m); // ✗ a¹ where a⁰ = X belongs
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a2)), m); // ✗ a² where a¹ belongs
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },

  // The first layer's weight gradient built from δ² instead of δ¹.
  output_error_in_first_layer(net, X, Y) {
    const W2 = net.weights[1];
    const [z1, a1, z2, a2] = mkForward(net, X);
    const m = X[0].length;
    const d2 = mat.mul(mat.sub(a2, Y), mkOutPrime(net, z2)); // rule 1
    const d1 = mat.mul(mat.matmulT(W2, d2), mkHidPrime(net, z1)); // rule 2
    const dW1 = mkDiv(mat.matmul(d2, mat.T(X)), m); // ✗ δ² where δ¹ belongs
    const dW2 = mkDiv(mat.matmul(d2, mat.T(a1)), m);
    return { dWs: [dW1, dW2], dbs: [mkMean(d1), mkMean(d2)] }; // rule 3
  },
};
