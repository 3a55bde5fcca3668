import { Global, Module } from '@nestjs/common';
import { MailService } from './mail.service';

/** Global: any module may queue a mail through `MailService.send()`. */
@Global()
@Module({
  providers: [MailService],
  exports: [MailService],
})
export class MailModule {}
