// js-ipfs 0.66's dependencies (it-queue, through mortice) call Promise.withResolvers, which
// Node.js has from version 22 on; this defines it on older Node.js versions.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
