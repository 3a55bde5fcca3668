import { Controller, Get, Header, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/decorators/access.decorators';
import { clientInfoOf } from '../../common/http/request-context';
import { errorAnswer, type InteractionAnswer, sendAnswer } from './interaction-answer';
import { InteractionService } from './interaction.service';
import { STYLESHEET } from './pages';

/**
 * The authorization server's login and consent pages (`/oidc/interaction/:uid`). They are HTML
 * for a browser, not part of the JSON API: errors are pages, never problem+json, and never a
 * redirect to somewhere the client did not register.
 */
@ApiExcludeController()
@Controller('oidc')
export class InteractionController {
  private readonly logger = new Logger('OidcInteraction');

  constructor(private readonly interactions: InteractionService) {}

  @Get('assets/gatehouse.css')
  @Public()
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  stylesheet(): string {
    return STYLESHEET;
  }

  @Get('interaction/:uid')
  @Public()
  async show(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.guard(res, () => this.interactions.show(uid, req, res));
  }

  @Post('interaction/:uid/login')
  @Public()
  async login(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.guard(res, () =>
      this.interactions.login(uid, req, res, formOf(req), clientInfoOf(req)),
    );
  }

  @Post('interaction/:uid/consent')
  @Public()
  async consent(
    @Param('uid') uid: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.guard(res, () => this.interactions.consent(uid, req, res, formOf(req)));
  }

  @Post('interaction/:uid/abort')
  @Public()
  async abort(@Param('uid') uid: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    await this.guard(res, () => this.interactions.abort(uid, req, res, formOf(req)));
  }

  /** Writes the step's answer, or a generic error page when the step failed unexpectedly. */
  private async guard(res: Response, work: () => Promise<InteractionAnswer>): Promise<void> {
    let answer: InteractionAnswer;
    try {
      answer = await work();
    } catch (error) {
      this.logger.error(
        'Interaction failed',
        error instanceof Error ? (error.stack ?? error.message) : String(error),
      );
      answer = errorAnswer(500, 'Something went wrong', 'The sign-in could not be completed.');
    }
    if (!res.headersSent) sendAnswer(res, answer);
  }
}

/** The parsed form, as strings only (a repeated field is refused by taking nothing). */
function formOf(req: Request): Record<string, string> {
  const body: unknown = req.body;
  const form: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return form;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') form[key] = value;
  }
  return form;
}
