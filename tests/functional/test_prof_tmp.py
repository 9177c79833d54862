import time, os
import fixtures as fx
from tests.functional import test_parity, fixtures
class _T:
    time = staticmethod(time.time)
    @staticmethod
    def sleep(s):
        time.sleep(min(s, float(os.environ.get('CAP', '1'))))
class T(test_parity.ParityTest):
    def setUp(self):
        self.useFixture(fx.MonkeyPatch('oslo_messaging._drivers.impl_fake.time', _T))
        t = time.time(); super().setUp(); print('setup', time.time()-t)
    def test_x(self):
        c = time.process_time()
        t=time.time(); self._server('ours','active'); self._server('stock','active'); print('servers', time.time()-t)
        for body in ['valid', 'missing_name', 'metadata']:
            for r in ('stock', 'ours'):
                t=time.time(); self._observe(r, test_parity.Case(body), '2.45'); print(body, r, time.time()-t)
        print('cpu', time.process_time() - c)
