// engine.js: the book's in-page engine, a transcription of the package.
//
// activations.py, losses.py, rules.py and network.py, function by function,
// with the same names and in the same order, so the two can be read side by
// side. Column convention, as in the package: a matrix is an array of rows;
// W^l has n_l rows of n_{l-1} numbers; Z, A, X and Y have one example per
// column (n rows of m numbers); b^l is n_l rows of 1. Numbers are doubles
// (float64), so the engine and NumPy agree to rounding (tests check 1e-9).
// Plain ES2020, no imports: the book inlines this file in every explorer.

// -- matrix helpers (NumPy's *, @, .T, sums) ---------------------------------

const mat = {
  // Return an n x m matrix of value v.
  full: (n, m, v) => Array.from({ length: n }, () => new Array(m).fill(v)),
  // Return f applied element-wise to A (and B, same shape).
  map: (A, f) => A.map((row) => row.map(f)),
  map2: (A, B, f) => A.map((row, i) => row.map((v, j) => f(v, B[i][j]))),
  // Return A * B element-wise (the Hadamard product ⊙).
  mul: (A, B) => A.map((row, i) => row.map((v, j) => v * B[i][j])),
  sub: (A, B) => A.map((row, i) => row.map((v, j) => v - B[i][j])),
  // Return Aᵀ.
  T: (A) => A[0].map((_, j) => A.map((row) => row[j])),
  // Return A @ B for A (n, k) and B (k, m).
  matmul(A, B) {
    const n = A.length, k = B.length, m = B[0].length;
    const C = [];
    for (let i = 0; i < n; i++) {
      const a = A[i], c = new Array(m).fill(0);
      for (let p = 0; p < k; p++) {
        const s = a[p], b = B[p];
        for (let j = 0; j < m; j++) c[j] += s * b[j];
      }
      C.push(c);
    }
    return C;
  },
  // Return Aᵀ @ B for A (k, n) and B (k, m), without forming Aᵀ.
  matmulT(A, B) {
    const k = A.length, n = A[0].length, m = B[0].length;
    const C = mat.full(n, m, 0);
    for (let p = 0; p < k; p++) {
      const a = A[p], b = B[p];
      for (let i = 0; i < n; i++) {
        const s = a[i], c = C[i];
        for (let j = 0; j < m; j++) c[j] += s * b[j];
      }
    }
    return C;
  },
  // Return the sum of all entries.
  sum: (A) => A.reduce((t, row) => t + row.reduce((s, v) => s + v, 0), 0),
  // Return [n, m].
  shape: (A) => [A.length, A.length ? A[0].length : 0],
  // Return a deep copy.
  copy: (A) => A.map((row) => row.slice()),
  // NumPy's linspace(lo, hi, n): i * step + lo, the last point exactly hi.
  linspace: (lo, hi, n) => Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : i * ((hi - lo) / (n - 1)) + lo)),
};

// -- activations.py ------------------------------------------------------------

// The maximum of each column of Z (one number per column).
function columnMax(Z) {
  return Z[0].map((_, j) => Z.reduce((m, row) => Math.max(m, row[j]), -Infinity));
}

const activations = {
  identity: {
    f: (Z) => mat.copy(Z),
    prime: (Z) => mat.map(Z, () => 1), // d z / d z = 1
  },
  sigmoid: {
    // σ(z) = 1 / (1 + e^{-z}) without overflow: e^{-|z|} never overflows.
    f: (Z) => mat.map(Z, sigmoid1),
    // σ'(z) = σ(z)(1 − σ(z)).
    prime: (Z) => mat.map(Z, (z) => { const s = sigmoid1(z); return s * (1 - s); }),
  },
  tanh: {
    f: (Z) => mat.map(Z, Math.tanh),
    // tanh'(z) = 1 − tanh(z)².
    prime: (Z) => mat.map(Z, (z) => 1 - Math.tanh(z) ** 2),
  },
  relu: {
    f: (Z) => mat.map(Z, (z) => Math.max(z, 0)),
    // relu'(z) = 1 where z > 0, else 0 (0 at the kink, as in the package).
    prime: (Z) => mat.map(Z, (z) => (z > 0 ? 1 : 0)),
  },
  softmax: {
    // Each column as a whole; shifted by its maximum so e^z cannot overflow.
    f(Z) {
      const mx = columnMax(Z);
      const E = Z.map((row) => row.map((z, j) => Math.exp(z - mx[j])));
      const s = E[0].map((_, j) => E.reduce((t, row) => t + row[j], 0));
      return E.map((row) => row.map((e, j) => e / s[j]));
    },
    prime: null, // a Jacobian, not element-wise: softmax pairs with cross-entropy
  },
};

function sigmoid1(z) {
  const e = Math.exp(-Math.abs(z));
  return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

// -- losses.py -----------------------------------------------------------------

const losses = {
  // The batch mean of C_x = ½‖a − y‖².
  mse: (A, Y) => (0.5 * mat.sum(mat.map(mat.sub(A, Y), (d) => d * d))) / A[0].length,
  // ∇_a C_x = a − y for every example.
  mse_grad: (A, Y) => mat.sub(A, Y),
  // ln softmax(z) of each column, z − logsumexp(z): finite for extreme logits.
  log_softmax(Z) {
    const mx = columnMax(Z);
    const S = Z.map((row) => row.map((z, j) => z - mx[j]));
    const lse = S[0].map((_, j) => Math.log(S.reduce((t, row) => t + Math.exp(row[j]), 0)));
    return S.map((row) => row.map((s, j) => s - lse[j]));
  },
  // The batch mean of C_x = −Σ_j y_j ln a_j with a = softmax(z), from the logits z.
  cross_entropy: (Z, Y) => -mat.sum(mat.mul(Y, losses.log_softmax(Z))) / Z[0].length,
  // δ^L = a − y for softmax with cross-entropy (chapter 3).
  cross_entropy_delta: (A, Y) => mat.sub(A, Y),
};

// -- rules.py: the four rules ------------------------------------------------

const rules = {
  // Rule 1: δ^L = ∇_a C_x ⊙ σ'(z^L).
  output_error: (grad_a, dsigma) => mat.mul(grad_a, dsigma),
  // Rule 2: δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ'(z^l).
  hidden_error: (W_next, delta_next, dsigma) =>
    mat.mul(mat.matmulT(W_next, delta_next), dsigma),
  // Rule 3: ∂C/∂b^l = the mean of the columns of δ^l, n_l rows of 1.
  bias_gradient: (delta) =>
    delta.map((row) => [row.reduce((s, v) => s + v, 0) / row.length]),
  // Rule 4: ∂C/∂W^l = δ^l (a^{l-1})ᵀ / m.
  weight_gradient(delta, a_prev) {
    const m = delta[0].length;
    return mat.map(mat.matmul(delta, mat.T(a_prev)), (v) => v / m);
  },
};

// -- network.py: the MLP -------------------------------------------------------
// net = {sizes, hidden, output, loss, weights: [W^1..W^L], biases: [b^1..b^L]}.
// weights[l - 1] is W^l (lists count from 0, the text from 1); the cache is
// padded like ForwardCache, so z[l] is z^l and a[l] is a^l (z[0] is null).

const network = {
  // The activation of layer l (1..L): the output one for l = L.
  activation: (net, l) => activations[l === net.weights.length ? net.output : net.hidden],
  // The forward pass: z^l = W^l a^{l-1} + b^l, a^l = σ(z^l).
  forward(net, X) {
    const z = [null], a = [X];
    for (let l = 1; l <= net.weights.length; l++) {
      const b = net.biases[l - 1];
      z.push(mat.matmul(net.weights[l - 1], a[l - 1]).map((row, j) => row.map((v) => v + b[j][0])));
      a.push(network.activation(net, l).f(z[l]));
    }
    return { z, a };
  },
  // The cost C, averaged over the m examples.
  loss(net, X, Y) {
    const cache = network.forward(net, X);
    return network.cost(net, cache, Y);
  },
  cost(net, cache, Y) {
    const L = net.weights.length;
    if (net.loss === "cross_entropy") return losses.cross_entropy(cache.z[L], Y); // from logits
    return losses.mse(cache.a[L], Y);
  },
  // The backward pass: rule 1 at the top, then rules 4, 3 and 2 layer by layer.
  backward(net, cache, Y) {
    const L = net.weights.length, { z, a } = cache;
    let delta;
    if (net.loss === "cross_entropy") {
      delta = losses.cross_entropy_delta(a[L], Y); // rule 1, softmax form
    } else {
      delta = rules.output_error(losses.mse_grad(a[L], Y), activations[net.output].prime(z[L])); // rule 1
    }
    const deltas = new Array(L + 1).fill(null), dWs = [], dbs = [];
    for (let l = L; l >= 1; l--) {
      deltas[l] = delta;
      dWs[l - 1] = rules.weight_gradient(delta, a[l - 1]); // rule 4
      dbs[l - 1] = rules.bias_gradient(delta); // rule 3
      if (l > 1) {
        delta = rules.hidden_error(net.weights[l - 1], delta, activations[net.hidden].prime(z[l - 1])); // rule 2
      }
    }
    return { dWs, dbs, deltas };
  },
  // ∂C/∂W^l and ∂C/∂b^l, shaped like weights and biases.
  gradients(net, X, Y) {
    const { dWs, dbs } = network.backward(net, network.forward(net, X), Y);
    return { dWs, dbs };
  },
};

// -- a reproducible generator, the same numbers as backprop.explorers.host ------
// An integer hash of (seed, stream, index): integer arithmetic only, so
// JavaScript and NumPy produce the same bits.
function hash32(x) {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
// Return n uniform numbers in (-√3, √3) (mean 0, variance 1) of stream
// (seed, stream): host.uniforms; the practice problems draw with it.
function uniforms(seed, stream, n) {
  const key = hash32((hash32(seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const u = (hash32((key ^ i) >>> 0) + 0.5) / 4294967296; // in (0, 1)
    out[i] = (2 * u - 1) * Math.sqrt(3);
  }
  return out;
}
// Return n standard normal numbers of stream (seed, stream): Box–Muller on
// pairs of uniforms in (0, 1); the same as host.normals up to the last bit
// of log, cos and sin.
function normals(seed, stream, n) {
  const key = hash32((hash32(seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  const out = new Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = (hash32((key ^ i) >>> 0) + 0.5) / 4294967296;
    const u2 = (hash32((key ^ (i + 1)) >>> 0) + 0.5) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1)), t = 2 * Math.PI * u2;
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}
