// Example callback-style handler (handler: callback.handler).
exports.handler = function (event, context, callback) {
  setTimeout(() => {
    if (event && event.fail) {
      callback(new Error(event.fail));
      return;
    }
    callback(null, { requestId: context.awsRequestId, event });
  }, 1);
};
